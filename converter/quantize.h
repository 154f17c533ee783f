// Weight quantization: symmetric int8, one scale per output channel (row), and packing into the
// layouts the runtime kernels read (schema/tern.fbs documents N16K4).
#pragma once

#include <cstdint>
#include <vector>

namespace tern::convert {

struct Quantized {
  std::vector<int8_t> data;      // packed as requested
  std::vector<float> scales;     // [N]
  std::vector<int32_t> col_sums; // [round_up(N, 16)] for N16K4, else empty
  float rel_error = 0;           // ||W - dequant||_2 / ||W||_2
  float max_abs_error = 0;
};

// W row-major [N, K] -> int8 N16K4 with column sums (Linear weights).
Quantized quantize_n16k4(const float* w, int64_t N, int64_t K);

// Relative L2 and max abs error of storing w as f16.
void f16_error(const std::vector<float>& w, float* rel_error, float* max_abs_error);

}  // namespace tern::convert
