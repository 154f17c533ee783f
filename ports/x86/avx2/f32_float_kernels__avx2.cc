// The float kernels of the AVX2 tier: attention's NN GEMM (4x16 tiles), row softmax, activations
// (GELU erf/tanh, tanh, ReLU, SiLU), log-softmax, LayerNorm and RMSNorm (two passes, 8-lane partial sums, as in
// ../avx512vnni/f32_norm__avx512f.cc) and row quantization (bit-identical to the reference).
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

template <int MR>
void nn_tile(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc, __m256i m0,
             __m256i m1) {
  __m256 acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_maskload_ps(B + k * ldb, m0), b1 = _mm256_maskload_ps(B + k * ldb + 8, m1);
    for (int r = 0; r < MR; ++r) {
      const __m256 a = _mm256_broadcast_ss(A + r * lda + k);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm256_maskstore_ps(C + r * ldc, m0, acc[r][0]);
    _mm256_maskstore_ps(C + r * ldc + 8, m1, acc[r][1]);
  }
}

}  // namespace

void f32_gemm_nn_4x16__avx2(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B, size_t ldb,
                            float* C, size_t ldc) {
  for (size_t n = 0; n < N; n += 16) {
    const size_t w = min_size(16, N - n);
    const __m256i m0 = first_lanes(min_size(w, 8)), m1 = first_lanes(w > 8 ? w - 8 : 0);
    size_t m = 0;
    for (; m + 4 <= M; m += 4) nn_tile<4>(K, A + m * lda, lda, B + n, ldb, C + m * ldc + n, ldc, m0, m1);
    for (; m < M; ++m) nn_tile<1>(K, A + m * lda, lda, B + n, ldb, C + m * ldc + n, ldc, m0, m1);
  }
}

namespace {

float row_max(const float* x, size_t n) {
  const __m256 lowest = _mm256_set1_ps(-__FLT_MAX__);
  __m256 mx = lowest;
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    mx = _mm256_max_ps(mx, _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m)));
  }
  return max256(mx);
}

float sum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

}  // namespace

void f32_softmax__avx2(float* x, size_t n) {
  const __m256 top = _mm256_set1_ps(row_max(x, n));
  __m256 sum = _mm256_setzero_ps();
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    const __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), top)), _mm256_castsi256_ps(m));
    sum = _mm256_add_ps(sum, e);
    _mm256_maskstore_ps(x + i, m, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  const __m256 inv = _mm256_set1_ps(1.0f / total);
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), inv));
  }
}

void f32_activation__avx2(float* x, size_t n, Epilogue epilogue) {
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(x + i, m, activate256(_mm256_maskload_ps(x + i, m), epilogue));
  }
}

void f32_layer_norm__avx2(size_t dim, const float* x, const float* residual, const float* gamma, const float* beta,
                          float eps, float* y) {
  __m256 sum = _mm256_setzero_ps();
  for (size_t i = 0; i < dim; i += 8) {
    const __m256i m = first_lanes(dim - i);
    __m256 v = _mm256_maskload_ps(x + i, m);
    if (residual) v = _mm256_add_ps(v, _mm256_maskload_ps(residual + i, m));
    _mm256_maskstore_ps(y + i, m, v);
    sum = _mm256_add_ps(sum, v);
  }
  const __m256 mean = _mm256_set1_ps(sum256(sum) / float(dim));
  __m256 var = _mm256_setzero_ps();
  for (size_t i = 0; i < dim; i += 8) {
    const __m256i m = first_lanes(dim - i);
    const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(y + i, m), mean), _mm256_castsi256_ps(m));
    var = _mm256_fmadd_ps(d, d, var);
  }
  const __m256 scale = _mm256_set1_ps(1.0f / sqrt_ss(sum256(var) / float(dim) + eps));
  for (size_t i = 0; i < dim; i += 8) {
    const __m256i m = first_lanes(dim - i);
    const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(y + i, m), mean), scale);
    _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(d, _mm256_maskload_ps(gamma + i, m), _mm256_maskload_ps(beta + i, m)));
  }
}

void f32_rms_norm__avx2(size_t dim, const float* x, const float* weight, float eps, float* y) {
  __m256 sum = _mm256_setzero_ps();
  for (size_t i = 0; i < dim; i += 8) {
    const __m256 v = _mm256_maskload_ps(x + i, first_lanes(dim - i));
    sum = _mm256_fmadd_ps(v, v, sum);
  }
  const __m256 scale = _mm256_set1_ps(1.0f / sqrt_ss(sum256(sum) / float(dim) + eps));
  for (size_t i = 0; i < dim; i += 8) {
    const __m256i m = first_lanes(dim - i);
    _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(_mm256_maskload_ps(weight + i, m), _mm256_mul_ps(_mm256_maskload_ps(x + i, m), scale)));
  }
}

void f32_log_softmax__avx2(float* x, size_t n) {
  const float top = row_max(x, n);
  __m256 sum = _mm256_setzero_ps();
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    sum = _mm256_add_ps(sum, _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), _mm256_set1_ps(top))),
                                           _mm256_castsi256_ps(m)));
  }
  const __m256 lse = _mm256_set1_ps(top + __builtin_logf(sum256(sum)));
  for (size_t i = 0; i < n; i += 8) {
    const __m256i m = first_lanes(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_sub_ps(_mm256_maskload_ps(x + i, m), lse));
  }
}

void qd8_quantize_rows__avx2(size_t M, size_t K, const float* X, size_t ldx, int8_t* Q, size_t ldq, float* scale) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    int8_t* q = Q + m * ldq;
    __m256 mx = _mm256_setzero_ps();
    for (size_t k = 0; k < K; k += 8) mx = _mm256_max_ps(mx, abs256(_mm256_maskload_ps(x + k, first_lanes(K - k))));
    const float absmax = max256(mx);
    const float inv = absmax > 0 ? 127.0f / absmax : 1.0f;
    scale[m] = absmax > 0 ? absmax / 127.0f : 1.0f;
    alignas(32) int32_t v[8];
    for (size_t k = 0; k < K; k += 8) {
      __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_maskload_ps(x + k, first_lanes(K - k)), _mm256_set1_ps(inv)));
      r = _mm256_min_epi32(_mm256_max_epi32(r, _mm256_set1_epi32(-127)), _mm256_set1_epi32(127));
      _mm256_store_si256(reinterpret_cast<__m256i*>(v), r);
      for (size_t i = 0; i < 8 && k + i < K; ++i) q[k + i] = int8_t(v[i]);
    }
    for (size_t k = K; k < kp; ++k) q[k] = 0;
  }
}

}  // namespace tern
