#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "json_fields.h"

namespace tern::convert {

TensorMap read_safetensors(std::shared_ptr<const MappedFile> file, const std::string& path) {
  const uint64_t file_size = file->size();
  uint64_t header_size = 0;
  if (file_size < 8) throw ConvertError(path + ": too short to be a safetensors file");
  std::memcpy(&header_size, file->data(), 8);
  if (header_size > file_size - 8 || header_size > (uint64_t(100) << 20))
    throw ConvertError(path + ": safetensors header of " + std::to_string(header_size) +
                       " bytes does not fit in the file (truncated?)");
  const char* header = reinterpret_cast<const char*>(file->data() + 8);
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(header, header + header_size);
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
      const int64_t dim = json_int(d, what + ": a dimension", 0, int64_t(1) << 40);
      if (dim > 0 && numel > (int64_t(1) << 40) / dim) throw ConvertError(what + ": shape too large");
      numel *= dim;
      t.shape.push_back(dim);
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2) throw ConvertError(what + ": bad data_offsets");
    const uint64_t b = uint64_t(json_int(off[0], what + ": data_offsets[0]", 0, std::numeric_limits<int64_t>::max()));
    const uint64_t e = uint64_t(json_int(off[1], what + ": data_offsets[1]", 0, std::numeric_limits<int64_t>::max()));
    int64_t elem = dtype_size(t.dtype);
    if (elem == 0) throw ConvertError(what + ": unsupported dtype " + t.dtype);
    if (b > e || e > data_size)
      throw ConvertError(what + ": bytes [" + std::to_string(b) + ", " + std::to_string(e) +
                         ") lie outside the file's " + std::to_string(data_size) +
                         " data bytes (truncated?)");
    if (e - b != uint64_t(t.numel() * elem))
      throw ConvertError(what + ": " + std::to_string(e - b) + " bytes do not match its shape");
    // 32-bit size_t: the floats they decode to must be addressable.
    if (uint64_t(t.numel()) > SIZE_MAX / sizeof(float))
      throw ConvertError(what + ": " + std::to_string(t.numel()) + " elements do not fit in this process's address space");
    t.file = file;
    t.storage = file->data() + data_begin + b;
    t.storage_bytes = size_t(e - b);
    t.what = what;
    out.emplace(name, std::move(t));
  }
  return out;
}

}  // namespace tern::convert
