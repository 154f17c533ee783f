// C = A . B in f32 (attention's Q.K^T and P.V): 4 rows x 64 columns per tile, B rows streamed,
// A broadcast, FMA; masked column tails. Each row's accumulators are named fields of a struct:
// GCC 12 keeps those in registers, while an accumulator array made it store every accumulator to
// the stack on each step (8 stores per 8 FMAs, half speed).
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

struct Row {
  __m512 v0, v1, v2, v3;
};

struct Columns {
  __mmask16 m0, m1, m2, m3;  // valid lanes of each 16-column quarter
};

inline void fma_row(Row& c, float a, const __m512 (&b)[4]) {
  const __m512 av = _mm512_set1_ps(a);
  c.v0 = _mm512_fmadd_ps(av, b[0], c.v0);
  c.v1 = _mm512_fmadd_ps(av, b[1], c.v1);
  c.v2 = _mm512_fmadd_ps(av, b[2], c.v2);
  c.v3 = _mm512_fmadd_ps(av, b[3], c.v3);
}

inline void load_b(const float* b, const Columns& m, __m512 (&out)[4]) {
  out[0] = _mm512_maskz_loadu_ps(m.m0, b);
  out[1] = _mm512_maskz_loadu_ps(m.m1, b + 16);
  out[2] = _mm512_maskz_loadu_ps(m.m2, b + 32);
  out[3] = _mm512_maskz_loadu_ps(m.m3, b + 48);
}

inline void store_row(float* c, const Row& r, const Columns& m) {
  _mm512_mask_storeu_ps(c, m.m0, r.v0);
  _mm512_mask_storeu_ps(c + 16, m.m1, r.v1);
  _mm512_mask_storeu_ps(c + 32, m.m2, r.v2);
  _mm512_mask_storeu_ps(c + 48, m.m3, r.v3);
}

void tile4(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc, const Columns& m) {
  Row r0{}, r1{}, r2{}, r3{};
  for (size_t k = 0; k < K; ++k) {
    __m512 b[4];
    load_b(B + k * ldb, m, b);
    fma_row(r0, A[k], b);
    fma_row(r1, A[lda + k], b);
    fma_row(r2, A[2 * lda + k], b);
    fma_row(r3, A[3 * lda + k], b);
  }
  store_row(C, r0, m);
  store_row(C + ldc, r1, m);
  store_row(C + 2 * ldc, r2, m);
  store_row(C + 3 * ldc, r3, m);
}

void tile1(size_t K, const float* A, const float* B, size_t ldb, float* C, const Columns& m) {
  Row r0{};
  for (size_t k = 0; k < K; ++k) {
    __m512 b[4];
    load_b(B + k * ldb, m, b);
    fma_row(r0, A[k], b);
  }
  store_row(C, r0, m);
}

}  // namespace

void f32_gemm_nn_4x64__avx512f(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
                               size_t ldb, float* C, size_t ldc) {
  for (size_t n = 0; n < N; n += 64) {
    const size_t w = min_size(64, N - n);
    auto quarter = [w](size_t first) { return first_lanes(w > first ? w - first : 0); };
    const Columns m{quarter(0), quarter(16), quarter(32), quarter(48)};
    size_t r = 0;
    for (; r + 4 <= M; r += 4) tile4(K, A + r * lda, lda, B + n, ldb, C + r * ldc + n, ldc, m);
    for (; r < M; ++r) tile1(K, A + r * lda, B + n, ldb, C + r * ldc + n, m);
  }
}

}  // namespace tern
