// Checkpoint reading: every tensor of a Hugging Face directory or a torch state dict, as f32.
// Reading never executes anything from the file. Errors are thrown as ConvertError.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace tern::convert {

struct ConvertError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SourceTensor {
  std::string dtype;             // as stored: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  std::vector<float> data;       // converted to f32, row-major
  int64_t numel() const;
};

using TensorMap = std::map<std::string, SourceTensor>;

// One file: .safetensors, or a torch pickle (zip format or legacy torch.save format).
TensorMap read_safetensors(const std::string& path);
TensorMap read_torch_file(const std::string& path);
// The same from bytes already at hand (the fuzz targets' entry points); `what` names them in errors.
TensorMap read_safetensors(std::istream& in, const std::string& what);
TensorMap read_torch_bytes(const std::vector<uint8_t>& bytes, const std::string& what);
// A file of either kind, chosen by content.
TensorMap read_weights_file(const std::string& path);
// A directory: model.safetensors, model.safetensors.index.json (shards), pytorch_model.bin or
// pytorch_model.bin.index.json; or a single weights file.
TensorMap read_checkpoint(const std::string& path);

std::string read_text_file(const std::string& path);
// A JSON file; with `optional`, a missing file reads as an empty object.
nlohmann::json read_json(const std::string& path, bool optional = false);
bool file_exists(const std::string& path);

// bf16 bit pattern to f32.
float bfloat_to_float(uint16_t h);

}  // namespace tern::convert
