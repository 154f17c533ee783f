#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "checkpoint.h"
#include "kernels/kernels.h"

namespace tern::convert {

MappedFile::MappedFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    const int err = errno;
    if (fd >= 0) close(fd);
    throw ConvertError(path + ": cannot open: " + std::strerror(err));
  }
  if (uint64_t(st.st_size) > SIZE_MAX) {
    close(fd);
    throw ConvertError(path + ": " + std::to_string(st.st_size) + " bytes do not fit in this process's address space");
  }
  size_ = size_t(st.st_size);
  void* addr = size_ ? mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  const int err = errno;
  close(fd);
  if (addr == MAP_FAILED) throw ConvertError(path + ": cannot map: " + std::strerror(err));
  data_ = static_cast<uint8_t*>(addr);
}

std::shared_ptr<const MappedFile> MappedFile::copy_of(const uint8_t* data, size_t size) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->mapped_ = false;
  f->size_ = size;
  f->data_ = new uint8_t[size ? size : 1];
  if (size) std::memcpy(f->data_, data, size);
  return f;
}

MappedFile::~MappedFile() {
  if (!mapped_) delete[] data_;
  else if (data_) munmap(data_, size_);
}

void MappedFile::release(const uint8_t* p, size_t bytes) const {
  if (!mapped_) return;  // MADV_DONTNEED would zero a heap copy's pages
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // a hint: errors do not matter
}

int64_t SourceTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void SourceTensor::read(float* out) const {
  const int64_t n = numel(), elem = dtype_size(dtype);
  if (n == 0) return;
  const int rank = int(shape.size());
  // Bytes [first, last) of the storage this tensor reads; the reader checked them against the file.
  uint64_t last = uint64_t(offset) + 1;
  if (stride.empty() || rank == 0) {
    decode_elements(dtype, storage + offset * elem, n, out, what);
    last = uint64_t(offset + n);
  } else {
    // Runs along the last dimension, then an odometer over the others: views (transposes, slices)
    // are gathered without a per-element index computation.
    const int64_t run = shape[size_t(rank - 1)], step = stride[size_t(rank - 1)];
    std::vector<int64_t> idx(size_t(rank - 1), 0);
    for (int64_t done = 0; done < n; done += run) {
      int64_t at = offset;
      for (int d = 0; d < rank - 1; ++d) at += idx[size_t(d)] * stride[size_t(d)];
      if (step == 1) {
        decode_elements(dtype, storage + at * elem, run, out + done, what);
      } else {
        for (int64_t i = 0; i < run; ++i) decode_elements(dtype, storage + (at + i * step) * elem, 1, out + done + i, what);
      }
      last = std::max(last, uint64_t(at + (run - 1) * step + 1));
      for (int d = rank - 2; d >= 0; --d) {
        if (++idx[size_t(d)] < shape[size_t(d)]) break;
        idx[size_t(d)] = 0;
      }
    }
  }
  // Decoded: its pages can go. A conversion then holds one tensor's pages at a time, not the file.
  const uint64_t first = uint64_t(offset) * uint64_t(elem);
  file->release(storage + first, size_t(std::min<uint64_t>(last * uint64_t(elem), storage_bytes) - first));
}

std::vector<float> SourceTensor::floats() const {
  std::vector<float> v(static_cast<size_t>(numel()));
  read(v.data());
  return v;
}

float bfloat_to_float(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Decodes `count` little-endian elements of `dtype` at `src` to f32.
void decode_elements(const std::string& dtype, const uint8_t* src, int64_t count, float* out,
                     const std::string& what) {
  auto load = [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, src + i * int64_t(sizeof(T)), sizeof(T));
      out[i] = float(v);
    }
  };
  if (dtype == "F32") load(float());
  else if (dtype == "F64") load(double());
  else if (dtype == "I64") load(int64_t());
  else if (dtype == "I32") load(int32_t());
  else if (dtype == "I16") load(int16_t());
  else if (dtype == "I8") load(int8_t());
  else if (dtype == "U8" || dtype == "BOOL") load(uint8_t());
  else if (dtype == "F16" || dtype == "BF16") {
    for (int64_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      out[i] = dtype == "F16" ? tern::f16_to_f32(h) : bfloat_to_float(h);
    }
  } else {
    throw ConvertError(what + ": unsupported dtype " + dtype);
  }
}

int64_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}


bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConvertError(path + ": cannot open");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

nlohmann::json read_json(const std::string& path, bool optional) {
  if (optional && !file_exists(path)) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    // The parser's own words say where (and show the text read last, e.g. a NaN or Infinity,
    // which Python writes and JSON does not have); its "[json.exception...]" tag says nothing.
    std::string why = e.what();
    const size_t tag = why.find("] ");
    if (why.rfind("[json.exception", 0) == 0 && tag != std::string::npos) why = why.substr(tag + 2);
    throw ConvertError(path + ": not valid JSON: " + why);
  }
}

TensorMap read_weights_file(const std::string& path) {
  auto file = std::make_shared<const MappedFile>(path);
  const uint8_t* head = file->data();
  const size_t n = file->size();
  // By structure, not by the first byte alone: a safetensors header length can start with 0x80.
  if (n >= 2 && head[0] == 'P' && head[1] == 'K') return read_torch_file(file, path);  // zip
  if (n >= 9 && head[8] == '{') return read_safetensors(file, path);                    // u64 length, then JSON
  if (n >= 1 && head[0] == 0x80) return read_torch_file(file, path);                    // legacy pickle (PROTO)
  throw ConvertError(path + ": not a safetensors file nor a torch checkpoint");
}

TensorMap read_safetensors(const std::string& path) {
  return read_safetensors(std::make_shared<const MappedFile>(path), path);
}

TensorMap read_torch_file(const std::string& path) {
  return read_torch_file(std::make_shared<const MappedFile>(path), path);
}

// model.safetensors.index.json / pytorch_model.bin.index.json: {"weight_map": {tensor: file}}.
static uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

static TensorMap read_sharded(const std::string& dir, const std::string& index_path, uint64_t* file_bytes) {
  const nlohmann::json index = read_json(index_path);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw ConvertError(index_path + ": no weight_map");
  std::set<std::string> files;
  for (auto& [name, file] : index["weight_map"].items()) {
    std::string f = file.get<std::string>();
    if (f.find('/') != std::string::npos || f == "..")
      throw ConvertError(index_path + ": shard name '" + f + "' leaves the directory");
    files.insert(f);
  }
  TensorMap all;
  for (const std::string& f : files) {
    TensorMap part = read_weights_file(dir + "/" + f);
    *file_bytes += file_size(dir + "/" + f);
    for (auto& [name, t] : part) {
      if (all.count(name)) throw ConvertError(dir + ": tensor '" + name + "' appears in two shards");
      all.emplace(name, std::move(t));
    }
  }
  for (auto& [name, file] : index["weight_map"].items())
    if (!all.count(name))
      throw ConvertError(index_path + ": tensor '" + name + "' is not in " + file.get<std::string>());
  return all;
}

TensorMap read_checkpoint(const std::string& path, uint64_t* file_bytes) {
  uint64_t ignored = 0;
  if (!file_bytes) file_bytes = &ignored;
  *file_bytes = 0;
  auto one_file = [&](const std::string& file) {
    TensorMap t = read_weights_file(file);
    *file_bytes = file_size(file);
    return t;
  };
  if (!dir_exists(path)) return one_file(path);
  for (const char* index : {"model.safetensors.index.json", "pytorch_model.bin.index.json"})
    if (file_exists(path + "/" + index)) return read_sharded(path, path + "/" + index, file_bytes);
  for (const char* file : {"model.safetensors", "pytorch_model.bin"})
    if (file_exists(path + "/" + file)) return one_file(path + "/" + file);
  throw ConvertError(path + ": no model.safetensors, pytorch_model.bin or shard index found");
}

}  // namespace tern::convert
