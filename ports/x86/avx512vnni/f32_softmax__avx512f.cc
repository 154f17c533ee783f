// Softmax and log-softmax of one row, in place: max, exp(x - max) with the sum, then scale by
// 1 / sum, or subtract max + log(sum).
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

float row_max(const float* x, size_t n) {
  __m512 mx = _mm512_set1_ps(-__FLT_MAX__);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, x + i));
  }
  return _mm512_reduce_max_ps(mx);
}

}  // namespace

void f32_softmax__avx512f(float* x, size_t n) {
  const __m512 top = _mm512_set1_ps(row_max(x, n));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), top));
    sum = _mm512_mask_add_ps(sum, m, sum, e);
    _mm512_mask_storeu_ps(x + i, m, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void f32_log_softmax__avx512f(float* x, size_t n) {
  const float top = row_max(x, n);
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    sum = _mm512_mask_add_ps(sum, m, sum, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_set1_ps(top))));
  }
  const __m512 lse = _mm512_set1_ps(top + __builtin_logf(_mm512_reduce_add_ps(sum)));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), lse));
  }
}

}  // namespace tern
