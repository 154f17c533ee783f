// C[M, N] = A[M, K] . B[K, N], all row-major with strides (attention's Q.K^T and P.V). Tiles of
// 4 rows x 8 columns: 8 accumulators, A read 4 K values at a time and multiplied by lane. Fits the
// 16 q registers of armv7 as well as aarch64's 32. Never reads or writes past column N.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// c + b * a[L]. armv7 has no fused multiply by scalar: VMLA (two roundings, within the tests'
// tolerance) keeps it one instruction.
template <int L>
inline float32x4_t mla_lane(float32x4_t c, float32x4_t b, float32x4_t a) {
#if defined(__aarch64__)
  return vfmaq_laneq_f32(c, b, a, L);
#else
  return vmlaq_lane_f32(c, b, L < 2 ? vget_low_f32(a) : vget_high_f32(a), L & 1);
#endif
}

// Columns [0, nc) of a B row, zero beyond: the N tail (nc < 8) without reading past the row.
template <bool kFull>
inline void load_b(const float* b, size_t nc, float32x4_t& b0, float32x4_t& b1) {
  if (kFull) {
    b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
  } else if (nc >= 4) {
    b0 = vld1q_f32(b), b1 = nc > 4 ? load_tail(b + 4, nc - 4) : vdupq_n_f32(0.0f);
  } else {
    b0 = load_tail(b, nc), b1 = vdupq_n_f32(0.0f);
  }
}

template <bool kFull>
inline void store_c(float* c, size_t nc, float32x4_t c0, float32x4_t c1) {
  if (kFull) {
    vst1q_f32(c, c0), vst1q_f32(c + 4, c1);
  } else if (nc >= 4) {
    vst1q_f32(c, c0);
    if (nc > 4) store_tail(c + 4, nc - 4, c1);
  } else {
    store_tail(c, nc, c0);
  }
}

// One K step of the tile, with row r's A value in lane L of a_r. Named accumulators (not arrays):
// GCC 12 keeps them in registers.
#define TERN_NN_STEP(L)                                                 \
  do {                                                                  \
    float32x4_t b0, b1;                                                 \
    load_b<kFull>(B + (k + L) * ldb, nc, b0, b1);                       \
    c00 = mla_lane<L>(c00, b0, a0), c01 = mla_lane<L>(c01, b1, a0);     \
    if (MR > 1) c10 = mla_lane<L>(c10, b0, a1), c11 = mla_lane<L>(c11, b1, a1); \
    if (MR > 2) c20 = mla_lane<L>(c20, b0, a2), c21 = mla_lane<L>(c21, b1, a2); \
    if (MR > 3) c30 = mla_lane<L>(c30, b0, a3), c31 = mla_lane<L>(c31, b1, a3); \
  } while (0)

// MR rows (1..4) x up to 8 columns (nc, all 8 when kFull).
template <int MR, bool kFull>
void nn_tile(size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc, size_t nc) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  // Rows past MR read row 0 again: the loads are valid, their products unused.
  const float* a0p = A;
  const float* a1p = MR > 1 ? A + lda : A;
  const float* a2p = MR > 2 ? A + 2 * lda : A;
  const float* a3p = MR > 3 ? A + 3 * lda : A;
  size_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float32x4_t a0 = vld1q_f32(a0p + k);
    const float32x4_t a1 = MR > 1 ? vld1q_f32(a1p + k) : zero;
    const float32x4_t a2 = MR > 2 ? vld1q_f32(a2p + k) : zero;
    const float32x4_t a3 = MR > 3 ? vld1q_f32(a3p + k) : zero;
    TERN_NN_STEP(0);
    TERN_NN_STEP(1);
    TERN_NN_STEP(2);
    TERN_NN_STEP(3);
  }
  for (; k < K; ++k) {  // K tail: one A value per row, in lane 0
    const float32x4_t a0 = vld1q_dup_f32(a0p + k);
    const float32x4_t a1 = MR > 1 ? vld1q_dup_f32(a1p + k) : zero;
    const float32x4_t a2 = MR > 2 ? vld1q_dup_f32(a2p + k) : zero;
    const float32x4_t a3 = MR > 3 ? vld1q_dup_f32(a3p + k) : zero;
    TERN_NN_STEP(0);
  }
  store_c<kFull>(C, nc, c00, c01);
  if (MR > 1) store_c<kFull>(C + ldc, nc, c10, c11);
  if (MR > 2) store_c<kFull>(C + 2 * ldc, nc, c20, c21);
  if (MR > 3) store_c<kFull>(C + 3 * ldc, nc, c30, c31);
}

#undef TERN_NN_STEP

template <bool kFull>
void nn_columns(size_t M, size_t K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc,
                size_t nc) {
  size_t m = 0;
  for (; m + 4 <= M; m += 4) nn_tile<4, kFull>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, nc);
  switch (M - m) {
    case 3: return nn_tile<3, kFull>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, nc);
    case 2: return nn_tile<2, kFull>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, nc);
    case 1: return nn_tile<1, kFull>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc, nc);
    default: return;
  }
}

}  // namespace

void f32_gemm_nn_4x8__neon(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B, size_t ldb,
                           float* C, size_t ldc) {
  size_t n = 0;
  for (; n + 8 <= N; n += 8) nn_columns<true>(M, K, A, lda, B + n, ldb, C + n, ldc, 8);
  if (n < N) nn_columns<false>(M, K, A, lda, B + n, ldb, C + n, ldc, N - n);
}

}  // namespace tern
