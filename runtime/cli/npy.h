// Minimal .npy (format 1.0/2.0) reading and writing for `tern run`: little-endian int64, int32 and
// float32 arrays in C order, which is what numpy.save writes for the Hugging Face inputs.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "tern/status.h"

namespace tern::cli {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<int64_t> ints;    // for integer files
  std::vector<float> floats;    // for float32 files
  bool is_float = false;
};

Status read_npy(const std::string& path, NpyArray* out);
// The same from a stream (a fuzz target's bytes); `what` names it in errors.
Status read_npy(std::istream& in, const std::string& what, NpyArray* out);
Status write_npy_f32(const std::string& path, const std::vector<int64_t>& shape, const float* data);
Status write_npy_i64(const std::string& path, const std::vector<int64_t>& shape, const int64_t* data);

}  // namespace tern::cli
