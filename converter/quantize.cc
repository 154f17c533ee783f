#include "quantize.h"

#include <cmath>

#include "kernels/kernels.h"

namespace tern::convert {
namespace {

// Row-wise symmetric quantization: q = round_half_even(w / s), s = max|w| / 127 (1 for a zero row).
// (A scale search that clips outliers was measured: no gain on the fixtures, so not done.)
void quantize_row(const float* w, int64_t K, int8_t* q, float* scale) {
  float absmax = 0;
  for (int64_t k = 0; k < K; ++k) absmax = std::fmax(absmax, std::fabs(w[k]));
  *scale = absmax > 0 ? absmax / 127.0f : 1.0f;
  for (int64_t k = 0; k < K; ++k) {
    long v = std::lrint(double(w[k]) / double(*scale));
    q[k] = int8_t(v > 127 ? 127 : (v < -127 ? -127 : v));
  }
}

void measure(const float* w, const int8_t* q, const float* scales, int64_t N, int64_t K,
             Quantized* out) {
  double err2 = 0, ref2 = 0, maxe = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      double ref = w[n * K + k], e = ref - double(q[n * K + k]) * scales[n];
      err2 += e * e;
      ref2 += ref * ref;
      maxe = std::fmax(maxe, std::fabs(e));
    }
  out->rel_error = ref2 > 0 ? float(std::sqrt(err2 / ref2)) : 0.0f;
  out->max_abs_error = float(maxe);
}

}  // namespace

static Quantized quantize_rows(const float* w, int64_t N, int64_t K) {
  Quantized out;
  out.data.resize(size_t(N * K));
  out.scales.resize(size_t(N));
  for (int64_t n = 0; n < N; ++n) quantize_row(w + n * K, K, &out.data[size_t(n * K)], &out.scales[size_t(n)]);
  measure(w, out.data.data(), out.scales.data(), N, K, &out);
  return out;
}

Quantized quantize_n16k4(const float* w, int64_t N, int64_t K) {
  Quantized rows = quantize_rows(w, N, K);
  const int64_t np = (N + 15) / 16 * 16, kp = (K + 3) / 4 * 4;
  Quantized out;
  out.scales = rows.scales;
  out.rel_error = rows.rel_error;
  out.max_abs_error = rows.max_abs_error;
  out.data.assign(size_t(np * kp), 0);
  out.col_sums.assign(size_t(np), 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int8_t q = rows.data[size_t(n * K + k)];
      out.data[size_t(((n / 16) * (kp / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4)] = q;
      out.col_sums[size_t(n)] += q;
    }
  return out;
}

void f16_error(const std::vector<float>& w, float* rel_error, float* max_abs_error) {
  double err2 = 0, ref2 = 0, maxe = 0;
  for (float v : w) {
    double e = double(v) - double(f16_to_f32(f32_to_f16(v)));
    err2 += e * e;
    ref2 += double(v) * v;
    maxe = std::fmax(maxe, std::fabs(e));
  }
  *rel_error = ref2 > 0 ? float(std::sqrt(err2 / ref2)) : 0.0f;
  *max_abs_error = float(maxe);
}

}  // namespace tern::convert
