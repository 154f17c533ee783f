#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "kernels/kernels.h"

namespace tern::convert {

int64_t SourceTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
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

TensorMap read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConvertError(path + ": cannot open");
  return read_safetensors(f, path);
}

TensorMap read_safetensors(std::istream& f, const std::string& path) {
  f.seekg(0, std::ios::end);
  const uint64_t file_size = uint64_t(f.tellg());
  f.seekg(0);
  uint64_t header_size = 0;
  if (file_size < 8 || !f.read(reinterpret_cast<char*>(&header_size), 8))
    throw ConvertError(path + ": too short to be a safetensors file");
  if (header_size > file_size - 8 || header_size > (uint64_t(100) << 20))
    throw ConvertError(path + ": safetensors header of " + std::to_string(header_size) +
                       " bytes does not fit in the file (truncated?)");
  std::string header(header_size, '\0');
  f.read(header.data(), std::streamsize(header_size));
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(header);
  } catch (const std::exception& e) {
    throw ConvertError(path + ": safetensors header is not valid JSON");
  }
  if (!meta.is_object()) throw ConvertError(path + ": safetensors header is not a JSON object");
  const uint64_t data_begin = 8 + header_size, data_size = file_size - data_begin;
  TensorMap out;
  for (auto& [name, info] : meta.items()) {
    if (name == "__metadata__") continue;
    const std::string what = path + ": tensor '" + name + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets"))
      throw ConvertError(what + ": entry lacks dtype, shape or data_offsets");
    SourceTensor t;
    if (!info["dtype"].is_string() || !info["shape"].is_array()) throw ConvertError(what + ": bad dtype or shape");
    t.dtype = info["dtype"].get<std::string>();
    int64_t numel = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw ConvertError(what + ": bad shape");
      const int64_t dim = d.get<int64_t>();
      if (dim > 0 && numel > (int64_t(1) << 40) / dim) throw ConvertError(what + ": shape too large");
      numel *= dim;
      t.shape.push_back(dim);
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2) throw ConvertError(what + ": bad data_offsets");
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) throw ConvertError(what + ": bad data_offsets");
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    int64_t elem = dtype_size(t.dtype);
    if (elem == 0) throw ConvertError(what + ": unsupported dtype " + t.dtype);
    if (b > e || e > data_size)
      throw ConvertError(what + ": bytes [" + std::to_string(b) + ", " + std::to_string(e) +
                         ") lie outside the file's " + std::to_string(data_size) +
                         " data bytes (truncated?)");
    if (e - b != uint64_t(t.numel() * elem))
      throw ConvertError(what + ": " + std::to_string(e - b) + " bytes do not match its shape");
    // 32-bit size_t: the bytes and the floats they decode to must both be addressable.
    if (e - b > std::vector<uint8_t>().max_size() || uint64_t(t.numel()) > t.data.max_size())
      throw ConvertError(what + ": " + std::to_string(e - b) + " bytes do not fit in this process's address space");
    std::vector<uint8_t> raw(size_t(e - b));
    f.seekg(std::streamoff(data_begin + b));
    if (!f.read(reinterpret_cast<char*>(raw.data()), std::streamsize(raw.size())))
      throw ConvertError(what + ": read failed");
    t.data.resize(size_t(t.numel()));
    decode_elements(t.dtype, raw.data(), t.numel(), t.data.data(), what);
    out.emplace(name, std::move(t));
  }
  return out;
}

}  // namespace tern::convert
