// C = A . B in f32 (attention's Q.K^T and P.V): 4 rows x 32 columns per tile, B rows streamed,
// A broadcast, FMA; masked column tails.
#include <immintrin.h>

#include <algorithm>

#include "kernels/kernels.h"

namespace tern {
namespace {

template <int MR>
void tile(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc, __mmask16 m0,
          __mmask16 m1) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (size_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, B + k * ldb), b1 = _mm512_maskz_loadu_ps(m1, B + k * ldb + 16);
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(A[r * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm512_mask_storeu_ps(C + r * ldc, m0, acc[r][0]);
    _mm512_mask_storeu_ps(C + r * ldc + 16, m1, acc[r][1]);
  }
}

}  // namespace

void f32_gemm_nn_4x32__avx512f(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
                               size_t ldb, float* C, size_t ldc) {
  for (size_t n = 0; n < N; n += 32) {
    const size_t w = std::min<size_t>(32, N - n);
    const __mmask16 m0 = w >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << w) - 1);
    const __mmask16 m1 = w >= 32 ? __mmask16(0xFFFF) : w > 16 ? __mmask16((1u << (w - 16)) - 1) : __mmask16(0);
    size_t m = 0;
    for (; m + 4 <= M; m += 4) tile<4>(K, A + m * lda, lda, B + n, ldb, C + m * ldc + n, ldc, m0, m1);
    for (; m < M; ++m) tile<1>(K, A + m * lda, lda, B + n, ldb, C + m * ldc + n, ldc, m0, m1);
  }
}

}  // namespace tern
