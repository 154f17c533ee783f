#include "cli/npy.h"

#include <cstring>
#include <fstream>

namespace tern::cli {

Status read_npy(const std::string& path, NpyArray* out) {
  std::ifstream f(path, std::ios::binary);
  TERN_CHECK_OR_RETURN(f.good(), Code::kIo, "%s: cannot open", path.c_str());
  return read_npy(f, path, out);
}

Status read_npy(std::istream& f, const std::string& path, NpyArray* out) {
  char magic[8];
  TERN_CHECK_OR_RETURN(f.read(magic, 8) && std::memcmp(magic, "\x93NUMPY", 6) == 0,
                       Code::kInvalidArgument, "%s: not a .npy file", path.c_str());
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t h;
    f.read(reinterpret_cast<char*>(&h), 2);
    header_len = h;
  } else {
    f.read(reinterpret_cast<char*>(&header_len), 4);
  }
  TERN_CHECK_OR_RETURN(f.good() && header_len < (1u << 20), Code::kInvalidArgument,
                       "%s: bad .npy header", path.c_str());
  std::string header(header_len, '\0');
  f.read(header.data(), header_len);
  auto field = [&](const char* key) {
    size_t p = header.find(key);
    return p == std::string::npos ? std::string() : header.substr(p + std::strlen(key));
  };
  std::string descr = field("'descr': '");
  descr = descr.substr(0, descr.find('\''));
  TERN_CHECK_OR_RETURN(field("'fortran_order': ").rfind("False", 0) == 0, Code::kInvalidArgument,
                       "%s: Fortran-order arrays are not supported", path.c_str());
  std::string shape = field("'shape': (");
  shape = shape.substr(0, shape.find(')'));
  out->shape.clear();
  int64_t count = 1;
  for (size_t p = 0; p < shape.size();) {
    size_t q = shape.find(',', p);
    if (q == std::string::npos) q = shape.size();
    std::string num = shape.substr(p, q - p);
    if (num.find_first_not_of(' ') != std::string::npos) {
      int64_t d = std::strtoll(num.c_str(), nullptr, 10);
      TERN_CHECK_OR_RETURN(d >= 0 && d < (int64_t(1) << 32), Code::kInvalidArgument,
                           "%s: bad shape", path.c_str());
      TERN_CHECK_OR_RETURN(d == 0 || count < (int64_t(1) << 31) / d, Code::kInvalidArgument,
                           "%s: too large", path.c_str());
      out->shape.push_back(d);
      count *= d;
    }
    p = q + 1;
  }
  // The data must be in the file before it is allocated: a corrupt shape must not become a huge
  // allocation (on 32-bit targets, one larger than the address space).
  const std::streamoff data_begin = f.tellg();
  f.seekg(0, std::ios::end);
  const std::streamoff data_bytes = f.tellg() - data_begin;
  f.seekg(data_begin);
  const int64_t elem = descr == "<i8" ? 8 : descr == "<f4" || descr == "<i4" ? 4 : 0;
  TERN_CHECK_OR_RETURN(elem != 0, Code::kInvalidArgument,
                       "%s: dtype '%s' is not supported (int64, int32, float32)", path.c_str(), descr.c_str());
  TERN_CHECK_OR_RETURN(count <= data_bytes / elem, Code::kInvalidArgument,
                       "%s: truncated (the shape needs %lld bytes, the file has %lld)", path.c_str(),
                       (long long)(count * elem), (long long)data_bytes);
  out->is_float = descr == "<f4";
  if (descr == "<f4") {
    out->floats.resize(size_t(count));
    f.read(reinterpret_cast<char*>(out->floats.data()), count * 4);
  } else if (descr == "<i8") {
    out->ints.resize(size_t(count));
    f.read(reinterpret_cast<char*>(out->ints.data()), count * 8);
  } else if (descr == "<i4") {
    std::vector<int32_t> v(static_cast<size_t>(count));
    f.read(reinterpret_cast<char*>(v.data()), count * 4);
    out->ints.assign(v.begin(), v.end());
  }
  TERN_CHECK_OR_RETURN(f.good(), Code::kInvalidArgument, "%s: truncated", path.c_str());
  return Status();
}

static Status write_npy(const std::string& path, const char* descr, const std::vector<int64_t>& shape,
                        const void* data, size_t elem) {
  std::string dims;
  size_t count = 1;
  for (int64_t d : shape) dims += std::to_string(d) + ",", count *= size_t(d);
  if (shape.size() > 1) dims.pop_back();
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  TERN_CHECK_OR_RETURN(f.good(), Code::kIo, "%s: cannot write", path.c_str());
  uint16_t len = uint16_t(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  f.write(static_cast<const char*>(data), std::streamsize(count * elem));
  TERN_CHECK_OR_RETURN(f.good(), Code::kIo, "%s: write failed", path.c_str());
  return Status();
}

Status write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  return write_npy(path, "<f4", shape, data, 4);
}

Status write_npy_i64(const std::string& path, const std::vector<int64_t>& shape, const int64_t* data) {
  return write_npy(path, "<i8", shape, data, 8);
}

}  // namespace tern::cli
