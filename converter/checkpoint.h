// Checkpoint reading: every tensor of a Hugging Face directory or a torch state dict, decoded to f32
// on demand, one tensor at a time.
// Reading never executes anything from the file. Errors are thrown as ConvertError.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace tern::convert {

struct ConvertError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A weights file mapped read-only. The tensors read from it point into it and share it, so it
// stays mapped while any of them is alive. Only the pages a tensor's decoding touches are ever
// resident, and release() hands them back: a conversion never holds the whole checkpoint.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws ConvertError
  // A copy of bytes already in memory, read as a mapped file is (the fuzz targets' entry point).
  static std::shared_ptr<const MappedFile> copy_of(const uint8_t* data, size_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Drops the whole pages inside [p, p + bytes) from this process's resident set; they read back
  // from the file if touched again (the mapping is private and never written).
  void release(const uint8_t* p, size_t bytes) const;

 private:
  MappedFile() = default;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = true;  // false: data_ is a heap copy (copy_of)
};

// One checkpoint tensor, not yet decoded: its elements stay in the mapped file until read() is
// called. The readers check the whole extent (offset, sizes, strides) against the file when they
// build it, so read() cannot go out of bounds.
struct SourceTensor {
  std::string dtype;             // as stored: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  std::shared_ptr<const MappedFile> file;
  const uint8_t* storage = nullptr;  // inside file: the first byte of the tensor's storage
  size_t storage_bytes = 0;
  int64_t offset = 0;                // elements, from storage
  std::vector<int64_t> stride;       // elements; empty: row-major contiguous
  std::string what;                  // "<file>: tensor '<name>'", for messages
  int64_t numel() const;
  // Decodes every element to f32, row-major, into `out` (numel() floats).
  void read(float* out) const;
  std::vector<float> floats() const;
};

using TensorMap = std::map<std::string, SourceTensor>;

// One file: .safetensors, or a torch pickle (zip format or legacy torch.save format); the second
// forms read a file already mapped (`path` names it in messages).
TensorMap read_safetensors(const std::string& path);
TensorMap read_torch_file(const std::string& path);
TensorMap read_safetensors(std::shared_ptr<const MappedFile> file, const std::string& path);
TensorMap read_torch_file(std::shared_ptr<const MappedFile> file, const std::string& path);
// A file of either kind, chosen by content.
TensorMap read_weights_file(const std::string& path);
// A directory: model.safetensors, model.safetensors.index.json (shards), pytorch_model.bin or
// pytorch_model.bin.index.json; or a single weights file. `file_bytes`, when given, receives the
// size of the weights files read (for --report).
TensorMap read_checkpoint(const std::string& path, uint64_t* file_bytes = nullptr);

std::string read_text_file(const std::string& path);
// A JSON file; with `optional`, a missing file reads as an empty object.
nlohmann::json read_json(const std::string& path, bool optional = false);
bool file_exists(const std::string& path);

// bf16 bit pattern to f32.
float bfloat_to_float(uint16_t h);

// For the readers: bytes per element of a stored dtype (0: unsupported), and decoding `count`
// little-endian elements of it at `src` to f32 (`what` names the tensor in errors).
int64_t dtype_size(const std::string& dtype);
void decode_elements(const std::string& dtype, const uint8_t* src, int64_t count, float* out,
                     const std::string& what);

}  // namespace tern::convert
