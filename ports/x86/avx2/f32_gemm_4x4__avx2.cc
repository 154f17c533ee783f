// Linear layers kept in float on AVX2: C = A . W^T + bias, W row-major [N, K] (f32, or f16 widened
// with F16C). 4 rows x 4 channels, 8 K values per FMA, a horizontal sum per output, scalar K tail.
#include <immintrin.h>


#include "kernels/kernels.h"

namespace tern {
namespace {

inline __m256 load8(const float* w) { return _mm256_loadu_ps(w); }
inline __m256 load8(const uint16_t* w) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w))); }
inline float value(float w) { return w; }
inline float value(uint16_t w) { return f16_to_f32(w); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

template <int MR, int NR, typename WT>
void tile(size_t K, const float* A, size_t lda, const WT* W, size_t ldw, float (&out)[4][4]) {
  __m256 acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) acc[r][j] = _mm256_setzero_ps();
  const size_t K8 = K / 8 * 8;
  for (size_t k = 0; k < K8; k += 8) {
    __m256 w[NR];
    for (int j = 0; j < NR; ++j) w[j] = load8(W + j * ldw + k);
    for (int r = 0; r < MR; ++r) {
      const __m256 a = _mm256_loadu_ps(A + r * lda + k);
      for (int j = 0; j < NR; ++j) acc[r][j] = _mm256_fmadd_ps(a, w[j], acc[r][j]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) {
      float s = hsum(acc[r][j]);
      for (size_t k = K8; k < K; ++k) s += A[r * lda + k] * value(W[j * ldw + k]);
      out[r][j] = s;
    }
}

template <typename WT>
void gemm(size_t M, size_t N, size_t K, const float* A, size_t lda, const WT* W, size_t ldw, const float* bias, float* C,
          size_t ldc, Epilogue epilogue) {
  for (size_t n = 0; n < N; n += 4) {
    const int nr = int(min_size(4, N - n));
    for (size_t m = 0; m < M; m += 4) {
      const int mr = int(min_size(4, M - m));
      float out[4][4];
      if (mr == 4 && nr == 4) {
        tile<4, 4>(K, A + m * lda, lda, W + n * ldw, ldw, out);
      } else {
        for (int r = 0; r < mr; ++r)
          for (int j = 0; j < nr; ++j) {
            float one[4][4];
            tile<1, 1>(K, A + (m + size_t(r)) * lda, lda, W + (n + size_t(j)) * ldw, ldw, one);
            out[r][j] = one[0][0];
          }
      }
      for (int r = 0; r < mr; ++r)
        for (int j = 0; j < nr; ++j) {
          float y = out[r][j] + (bias ? bias[n + size_t(j)] : 0.0f);
          y = epilogue == Epilogue::kRelu ? (y > 0 ? y : 0) : epilogue == Epilogue::kNone ? y : apply_epilogue(y, epilogue);
          C[(m + size_t(r)) * ldc + n + size_t(j)] = y;
        }
    }
  }
}

}  // namespace

void f32_gemm_4x4__avx2(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* W, size_t ldw, const float* bias,
                        float* C, size_t ldc, Epilogue epilogue) {
  gemm(M, N, K, A, lda, W, ldw, bias, C, ldc, epilogue);
}

void f32_f16w_gemm_4x4__avx2(size_t M, size_t N, size_t K, const float* A, size_t lda, const uint16_t* W, size_t ldw,
                             const float* bias, float* C, size_t ldc, Epilogue epilogue) {
  gemm(M, N, K, A, lda, W, ldw, bias, C, ldc, epilogue);
}

}  // namespace tern
