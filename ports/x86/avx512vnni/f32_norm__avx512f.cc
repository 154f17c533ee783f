// LayerNorm and RMSNorm over one row, 16 lanes at a time. Two passes for LayerNorm (mean, then the
// sum of squared deviations), as the reference does; partial sums in 16 lanes keep the float error
// at the level of the double reference for rows of a few thousand.
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
void f32_layer_norm__avx512f(size_t dim, const float* x, const float* residual, const float* gamma, const float* beta,
                             float eps, float* y) {
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < dim; i += 16) {
    const __mmask16 m = first_lanes(dim - i);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual + i));
    _mm512_mask_storeu_ps(y + i, m, v);
    sum = _mm512_add_ps(sum, v);
  }
  const __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(sum) / float(dim));
  __m512 var = _mm512_setzero_ps();
  for (size_t i = 0; i < dim; i += 16) {
    const __mmask16 m = first_lanes(dim - i);
    const __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, y + i), mean);
    var = _mm512_fmadd_ps(d, d, var);
  }
  const float inv = 1.0f / sqrt_ss(_mm512_reduce_add_ps(var) / float(dim) + eps);
  const __m512 scale = _mm512_set1_ps(inv);
  for (size_t i = 0; i < dim; i += 16) {
    const __mmask16 m = first_lanes(dim - i);
    const __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + i), mean), scale);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, gamma + i), _mm512_maskz_loadu_ps(m, beta + i)));
  }
}

void f32_rms_norm__avx512f(size_t dim, const float* x, const float* weight, float eps, float* y) {
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < dim; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(first_lanes(dim - i), x + i);
    sum = _mm512_fmadd_ps(v, v, sum);
  }
  const __m512 scale = _mm512_set1_ps(1.0f / sqrt_ss(_mm512_reduce_add_ps(sum) / float(dim) + eps));
  for (size_t i = 0; i < dim; i += 16) {
    const __mmask16 m = first_lanes(dim - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, weight + i), v));
  }
}

}  // namespace tern
