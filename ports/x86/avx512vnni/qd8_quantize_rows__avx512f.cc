// Per-row symmetric int8 quantization of activations, bit-identical to the reference: the same
// scale, x * (127 / absmax) rounded to nearest even (the default MXCSR mode, as lrint), clamped.
#include <immintrin.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void qd8_quantize_rows__avx512f(size_t M, size_t K, const float* X, size_t ldx, int8_t* Q, size_t ldq,
                                float* scale) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    int8_t* q = Q + m * ldq;
    __m512 mx = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(first_lanes(K - k), x + k)));
    const float absmax = _mm512_reduce_max_ps(mx);
    const float inv = absmax > 0 ? 127.0f / absmax : 1.0f;
    scale[m] = absmax > 0 ? absmax / 127.0f : 1.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    for (size_t k = 0; k < K; k += 16) {
      __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(first_lanes(K - k), x + k), vinv));
      v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
      _mm_mask_storeu_epi8(q + k, first_lanes(K - k), _mm512_cvtepi32_epi8(v));
    }
    for (size_t k = K; k < kp; ++k) q[k] = 0;
  }
}

}  // namespace tern
