// Softmax and log-softmax of one row, in place: max, exp(x - max) with the sum, then scale by
// 1 / sum, or subtract max + log(sum).
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_softmax__avx512f(float* x, size_t n) {
  auto mask = [n](size_t i) { return n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1); };
  __m512 mx = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  for (size_t i = 0; i < n; i += 16) mx = _mm512_mask_max_ps(mx, mask(i), mx, _mm512_maskz_loadu_ps(mask(i), x + i));
  const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask(i), x + i), m));
    sum = _mm512_mask_add_ps(sum, mask(i), sum, e);
    _mm512_mask_storeu_ps(x + i, mask(i), e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (size_t i = 0; i < n; i += 16) _mm512_mask_storeu_ps(x + i, mask(i), _mm512_mul_ps(_mm512_maskz_loadu_ps(mask(i), x + i), inv));
}

void f32_log_softmax__avx512f(float* x, size_t n) {
  auto mask = [n](size_t i) { return n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1); };
  __m512 mx = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  for (size_t i = 0; i < n; i += 16) mx = _mm512_mask_max_ps(mx, mask(i), mx, _mm512_maskz_loadu_ps(mask(i), x + i));
  const float top = _mm512_reduce_max_ps(mx);
  const __m512 m = _mm512_set1_ps(top);
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16)
    sum = _mm512_mask_add_ps(sum, mask(i), sum, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask(i), x + i), m)));
  const __m512 lse = _mm512_set1_ps(top + std::log(_mm512_reduce_add_ps(sum)));
  for (size_t i = 0; i < n; i += 16) _mm512_mask_storeu_ps(x + i, mask(i), _mm512_sub_ps(_mm512_maskz_loadu_ps(mask(i), x + i), lse));
}

}  // namespace tern
