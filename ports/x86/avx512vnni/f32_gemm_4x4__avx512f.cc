// Linear layers kept in float: C = A . W^T + bias with W row-major [N, K] as the blob stores it
// (f32, or f16 widened on load). 4 rows x 4 channels per tile, 16 K values per FMA, one horizontal
// sum per output; masked K tail.
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

inline __m512 load_w(const float* w, __mmask16 m) { return _mm512_maskz_loadu_ps(m, w); }
inline __m512 load_w(const uint16_t* w, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w)); }

template <int MR, int NR, typename WT>
void tile(size_t K, const float* A, size_t lda, const WT* W, size_t ldw, float (&out)[4][4]) {
  __m512 acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) acc[r][j] = _mm512_setzero_ps();
  for (size_t k = 0; k < K; k += 16) {
    const __mmask16 m = first_lanes(K - k);
    __m512 w[NR];
    for (int j = 0; j < NR; ++j) w[j] = load_w(W + j * ldw + k, m);
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_maskz_loadu_ps(m, A + r * lda + k);
      for (int j = 0; j < NR; ++j) acc[r][j] = _mm512_fmadd_ps(a, w[j], acc[r][j]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) out[r][j] = _mm512_reduce_add_ps(acc[r][j]);
}

template <typename WT>
void gemm(size_t M, size_t N, size_t K, const float* A, size_t lda, const WT* W, size_t ldw, const float* bias, float* C,
          size_t ldc, Epilogue epilogue) {
  for (size_t n = 0; n < N; n += 4) {
    const int nr = int(min_size(4, N - n));
    for (size_t m = 0; m < M; m += 4) {
      const int mr = int(min_size(4, M - m));
      float out[4][4];
      const float* a = A + m * lda;
      const WT* w = W + n * ldw;
      if (mr == 4 && nr == 4) tile<4, 4>(K, a, lda, w, ldw, out);
      else
        for (int r = 0; r < mr; ++r)
          for (int j = 0; j < nr; ++j) {
            float one[4][4];
            tile<1, 1>(K, a + r * lda, lda, w + j * ldw, ldw, one);
            out[r][j] = one[0][0];
          }
      for (int r = 0; r < mr; ++r)
        for (int j = 0; j < nr; ++j) {
          float y = out[r][j] + (bias ? bias[n + size_t(j)] : 0.0f);
          if (epilogue == Epilogue::kRelu) y = y > 0 ? y : 0;
          else if (epilogue != Epilogue::kNone) y = apply_epilogue(y, epilogue);
          C[(m + size_t(r)) * ldc + n + size_t(j)] = y;
        }
    }
  }
}

}  // namespace

void f32_gemm_4x4__avx512f(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* W, size_t ldw,
                           const float* bias, float* C, size_t ldc, Epilogue epilogue) {
  gemm(M, N, K, A, lda, W, ldw, bias, C, ldc, epilogue);
}

void f32_f16w_gemm_4x4__avx512f(size_t M, size_t N, size_t K, const float* A, size_t lda, const uint16_t* W, size_t ldw,
                                const float* bias, float* C, size_t ldc, Epilogue epilogue) {
  gemm(M, N, K, A, lda, W, ldw, bias, C, ldc, epilogue);
}

}  // namespace tern
