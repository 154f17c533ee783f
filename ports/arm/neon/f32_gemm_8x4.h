// The 8x4 float-weight GEMM of f32_gemm_8x4__neon.cc (f32 weights) and f32_f16w_gemm_8x4__neon.cc
// (IEEE half weights, widened to f32 as they are loaded: fcvtl on aarch64, vcvt.f32.f16 on armv7,
// which needs -mfp16-format=ieee there), for those two files only (internal linkage).
// C = epilogue(A . W^T + bias), W row-major [N, K] with row stride ldw.
// Tiles of 8 rows x 4 channels: a 4x4 block of W (4 channels x 4 K values) is loaded and transposed
// in registers once, then used by all 8 rows, each row's 4 A values multiplying it by lane into one
// accumulator per row that already holds the 4 channels (no horizontal sums; 8 accumulators fit
// armv7's 16 q registers). Fewer than 4 leftover rows take a 1x4 path with horizontal sums instead
// (a transposition per single row would cost more than it saves: decoding runs M = 1).
#pragma once

#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// Four consecutive weights of a row, and one weight of each of 4 rows (the K tail), as f32.
inline float32x4_t load_w(const float* w) { return vld1q_f32(w); }
// W[j][k] of the 4 channels (rows w0..w3) at one k: the K tail.
inline float32x4_t gather_w(const float* w0, const float* w1, const float* w2, const float* w3) {
  float32x4_t v = vld1q_dup_f32(w0);
  v = vld1q_lane_f32(w1, v, 1);
  v = vld1q_lane_f32(w2, v, 2);
  return vld1q_lane_f32(w3, v, 3);
}
inline float32x4_t load_w(const uint16_t* w) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w))); }
// W[j][k] of the 4 channels (rows w0..w3) at one k: the K tail.
inline float32x4_t gather_w(const uint16_t* w0, const uint16_t* w1, const uint16_t* w2, const uint16_t* w3) {
  uint16x4_t v = vld1_dup_u16(w0);
  v = vld1_lane_u16(w1, v, 1);
  v = vld1_lane_u16(w2, v, 2);
  v = vld1_lane_u16(w3, v, 3);
  return vcvt_f32_f16(vreinterpret_f16_u16(v));
}

template <int L>
inline float32x4_t mla_lane(float32x4_t c, float32x4_t b, float32x4_t a) {
#if defined(__aarch64__)
  return vfmaq_laneq_f32(c, b, a, L);
#else
  return vmlaq_lane_f32(c, b, L < 2 ? vget_low_f32(a) : vget_high_f32(a), L & 1);  // see f32_gemm_nn_4x8
#endif
}

// The 4x4 block with rows r0..r3 transposed: t[i] = {r0[i], r1[i], r2[i], r3[i]}. On aarch64 the
// 64-bit halves move with trn1/trn2 .2d (vcombine of halves compiles to lane moves there).
inline void transpose4(float32x4_t r0, float32x4_t r1, float32x4_t r2, float32x4_t r3, float32x4_t& t0,
                       float32x4_t& t1, float32x4_t& t2, float32x4_t& t3) {
  const float32x4x2_t t01 = vtrnq_f32(r0, r1), t23 = vtrnq_f32(r2, r3);
#if defined(__aarch64__)
  const float64x2_t a = vreinterpretq_f64_f32(t01.val[0]), b = vreinterpretq_f64_f32(t01.val[1]);
  const float64x2_t c = vreinterpretq_f64_f32(t23.val[0]), d = vreinterpretq_f64_f32(t23.val[1]);
  t0 = vreinterpretq_f32_f64(vtrn1q_f64(a, c)), t1 = vreinterpretq_f32_f64(vtrn1q_f64(b, d));
  t2 = vreinterpretq_f32_f64(vtrn2q_f64(a, c)), t3 = vreinterpretq_f32_f64(vtrn2q_f64(b, d));
#else
  t0 = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
  t1 = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
  t2 = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
  t3 = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
#endif
}

// c + W^T block times the row's 4 A values: wt[i] holds the 4 channels at K offset i.
inline float32x4_t dot4(float32x4_t c, const float* a, float32x4_t wt0, float32x4_t wt1, float32x4_t wt2,
                        float32x4_t wt3) {
  const float32x4_t av = vld1q_f32(a);
  c = mla_lane<0>(c, wt0, av);
  c = mla_lane<1>(c, wt1, av);
  c = mla_lane<2>(c, wt2, av);
  return mla_lane<3>(c, wt3, av);
}

// [s(a0), s(a1), s(a2), s(a3)], s = sum of the lanes.
inline float32x4_t hsum4x4(float32x4_t a0, float32x4_t a1, float32x4_t a2, float32x4_t a3) {
#if defined(__aarch64__)
  return vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3));
#else
  const float32x2_t s0 = vadd_f32(vget_low_f32(a0), vget_high_f32(a0)), s1 = vadd_f32(vget_low_f32(a1), vget_high_f32(a1));
  const float32x2_t s2 = vadd_f32(vget_low_f32(a2), vget_high_f32(a2)), s3 = vadd_f32(vget_low_f32(a3), vget_high_f32(a3));
  return vcombine_f32(vpadd_f32(s0, s1), vpadd_f32(s2, s3));
#endif
}

// bias, epilogue and store of one row's 4 (or nc) channels.
inline void finish(float32x4_t acc, const float* bias, Epilogue epilogue, float* c, size_t nc) {
  if (bias) acc = vaddq_f32(acc, nc == 4 ? vld1q_f32(bias) : load_tail(bias, nc));
  acc = activate4(acc, epilogue);
  if (nc == 4) {
    vst1q_f32(c, acc);
  } else {
    store_tail(c, nc, acc);
  }
}

// MR (8 or 4) rows x 4 channels, the channels' rows at w0..w3.
template <int MR, typename WT>
void tile_t(size_t K, const float* A, size_t lda, const WT* w0, const WT* w1, const WT* w2, const WT* w3,
            const float* bias, Epilogue epilogue, float* C, size_t ldc, size_t nc) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero, c6 = zero, c7 = zero;
  size_t k = 0;
  for (; k + 4 <= K; k += 4) {
    float32x4_t wt0, wt1, wt2, wt3;
    transpose4(load_w(w0 + k), load_w(w1 + k), load_w(w2 + k), load_w(w3 + k), wt0, wt1, wt2, wt3);
    c0 = dot4(c0, A + k, wt0, wt1, wt2, wt3);
    c1 = dot4(c1, A + lda + k, wt0, wt1, wt2, wt3);
    c2 = dot4(c2, A + 2 * lda + k, wt0, wt1, wt2, wt3);
    c3 = dot4(c3, A + 3 * lda + k, wt0, wt1, wt2, wt3);
    if (MR > 4) {
      c4 = dot4(c4, A + 4 * lda + k, wt0, wt1, wt2, wt3);
      c5 = dot4(c5, A + 5 * lda + k, wt0, wt1, wt2, wt3);
      c6 = dot4(c6, A + 6 * lda + k, wt0, wt1, wt2, wt3);
      c7 = dot4(c7, A + 7 * lda + k, wt0, wt1, wt2, wt3);
    }
  }
  for (; k < K; ++k) {
    const float32x4_t wt = gather_w(w0 + k, w1 + k, w2 + k, w3 + k);
    c0 = vfmaq_f32(c0, wt, vld1q_dup_f32(A + k));
    c1 = vfmaq_f32(c1, wt, vld1q_dup_f32(A + lda + k));
    c2 = vfmaq_f32(c2, wt, vld1q_dup_f32(A + 2 * lda + k));
    c3 = vfmaq_f32(c3, wt, vld1q_dup_f32(A + 3 * lda + k));
    if (MR > 4) {
      c4 = vfmaq_f32(c4, wt, vld1q_dup_f32(A + 4 * lda + k));
      c5 = vfmaq_f32(c5, wt, vld1q_dup_f32(A + 5 * lda + k));
      c6 = vfmaq_f32(c6, wt, vld1q_dup_f32(A + 6 * lda + k));
      c7 = vfmaq_f32(c7, wt, vld1q_dup_f32(A + 7 * lda + k));
    }
  }
  finish(c0, bias, epilogue, C, nc);
  finish(c1, bias, epilogue, C + ldc, nc);
  finish(c2, bias, epilogue, C + 2 * ldc, nc);
  finish(c3, bias, epilogue, C + 3 * ldc, nc);
  if (MR > 4) {
    finish(c4, bias, epilogue, C + 4 * ldc, nc);
    finish(c5, bias, epilogue, C + 5 * ldc, nc);
    finish(c6, bias, epilogue, C + 6 * ldc, nc);
    finish(c7, bias, epilogue, C + 7 * ldc, nc);
  }
}

// One row x 4 channels: one accumulator per channel, summed across lanes at the end.
template <typename WT>
void row_h(size_t K, const float* a, const WT* w0, const WT* w1, const WT* w2, const WT* w3, const float* bias,
           Epilogue epilogue, float* c, size_t nc) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  size_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float32x4_t av = vld1q_f32(a + k);
    s0 = vfmaq_f32(s0, av, load_w(w0 + k));
    s1 = vfmaq_f32(s1, av, load_w(w1 + k));
    s2 = vfmaq_f32(s2, av, load_w(w2 + k));
    s3 = vfmaq_f32(s3, av, load_w(w3 + k));
  }
  float32x4_t acc = hsum4x4(s0, s1, s2, s3);
  for (; k < K; ++k) acc = vfmaq_f32(acc, gather_w(w0 + k, w1 + k, w2 + k, w3 + k), vld1q_dup_f32(a + k));
  finish(acc, bias, epilogue, c, nc);
}

template <typename WT>
void gemm_8x4(size_t M, size_t N, size_t K, const float* A, size_t lda, const WT* W, size_t ldw, const float* bias,
          float* C, size_t ldc, Epilogue epilogue) {
  for (size_t n = 0; n < N; n += 4) {
    const size_t nc = N - n < 4 ? N - n : 4;
    // Channels past N repeat the last one: valid reads, results not stored.
    const WT* w0 = W + n * ldw;
    const WT* w1 = W + (n + (nc > 1 ? 1 : 0)) * ldw;
    const WT* w2 = W + (n + (nc > 2 ? 2 : nc - 1)) * ldw;
    const WT* w3 = W + (n + (nc > 3 ? 3 : nc - 1)) * ldw;
    const float* b = bias ? bias + n : nullptr;
    size_t m = 0;
    for (; m + 8 <= M; m += 8) tile_t<8>(K, A + m * lda, lda, w0, w1, w2, w3, b, epilogue, C + m * ldc + n, ldc, nc);
    if (m + 4 <= M) tile_t<4>(K, A + m * lda, lda, w0, w1, w2, w3, b, epilogue, C + m * ldc + n, ldc, nc), m += 4;
    for (; m < M; ++m) row_h(K, A + m * lda, w0, w1, w2, w3, b, epilogue, C + m * ldc + n, nc);
  }
}


}  // namespace
}  // namespace tern
