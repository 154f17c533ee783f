// int8 GEMM for 32-bit ARMv7 NEON: vmull.s8/vmlal.s8 multiply int8 pairs into int16, adding the
// products of two K groups (|a| <= 127, |w| <= 128: two products fit in int16), then vpadal.s16 adds
// adjacent int16 pairs into int32 accumulators. An N16K4 weight vector (4 channels x 4 k) is two d
// registers of 2 channels each, times a d register holding the row's 4 k twice. Each int32 lane
// holds a half of one channel's sum; vpadd joins the halves at the end.
// Tile: one row x one 16-channel block, computed in two halves of 8 channels (4 accumulators,
// 4 weight vectors, the row's k and two products in the 16 q registers).
#if defined(__arm__)
#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {

namespace {

// Half a block's accumulators (8 channels): lq (channels 4q, 4q+1) and hq (4q+2, 4q+3), two
// partial sums each. A whole block's 8 accumulators made GCC 12 spill them on every iteration.
struct Half {
  int32x4_t l0, h0, l1, h1;
};

// One weight vector w (and v, the next K group's, when Two) times a (b): 4 k of the row, twice.
template <bool Two>
__attribute__((always_inline)) inline void mac(int32x4_t& lo, int32x4_t& hi, int8x16_t w, int8x8_t a,
                                               int8x16_t v, int8x8_t b) {
  int16x8_t pl = vmull_s8(vget_low_s8(w), a);
  int16x8_t ph = vmull_s8(vget_high_s8(w), a);
  if (Two) pl = vmlal_s8(pl, vget_low_s8(v), b), ph = vmlal_s8(ph, vget_high_s8(v), b);
  lo = vpadalq_s16(lo, pl);
  hi = vpadalq_s16(hi, ph);
}

// 16 bytes at p, then p += step: one vld1 with register post-increment. GCC 12 computes each
// address of vld1q_s8(p + offset) with an add (armv7 NEON loads take no offset).
__attribute__((always_inline)) inline int8x16_t load_step(const int8_t*& p, int step) {
  int8x16_t v;
  asm("vld1.8 {%e0-%f0}, [%1], %2" : "=w"(v), "+r"(p) : "r"(step), "m"(*reinterpret_cast<const int8_t(*)[16]>(p)));
  return v;
}

// The half's two channel quads of groups g (at w) and, when Two, g + 1 (at w + 64); the row's k
// in a (group g) and b (g + 1). w advances by 64 per group: to the same half of the next group.
template <bool Two>
__attribute__((always_inline)) inline void pair(Half& r, const int8_t*& w, int8x8_t a, int8x8_t b) {
  const int8x16_t g0 = load_step(w, 16), g1 = load_step(w, 48);
  const int8x16_t h0 = Two ? load_step(w, 16) : g0, h1 = Two ? load_step(w, 48) : g1;
  mac<Two>(r.l0, r.h0, g0, a, h0, b);
  mac<Two>(r.l1, r.h1, g1, a, h1, b);
}

// 4 k of the row, twice; memcpy because rows need not be 4-byte aligned.
inline int8x8_t load4(const int8_t* a) {
  int32_t v;
  __builtin_memcpy(&v, a, 4);
  return vreinterpret_s8_s32(vdup_n_s32(v));
}

// The 4 channel sums of a quad from its two accumulators of half sums.
inline int32x4_t join(int32x4_t lo, int32x4_t hi) {
  return vcombine_s32(vpadd_s32(vget_low_s32(lo), vget_high_s32(lo)), vpadd_s32(vget_low_s32(hi), vget_high_s32(hi)));
}

// One row a times half a 16-channel block (w: the block plus 32 bytes per half), over kp
// (multiple of 4) K values; returns the 8 channel sums.
void half_row(size_t kp, const int8_t* a, const int8_t* w, int32x4_t& c0, int32x4_t& c1) {
  const int32x4_t z = vdupq_n_s32(0);
  Half r{z, z, z, z};
  size_t k = 0;
  for (; k + 16 <= kp; k += 16) {
    // 16 bytes of A hold 4 groups: vdup by lane makes each group's operand.
    const int32x4_t x = vreinterpretq_s32_s8(vld1q_s8(a + k));
    pair<true>(r, w, vreinterpret_s8_s32(vdup_lane_s32(vget_low_s32(x), 0)),
               vreinterpret_s8_s32(vdup_lane_s32(vget_low_s32(x), 1)));
    pair<true>(r, w, vreinterpret_s8_s32(vdup_lane_s32(vget_high_s32(x), 0)),
               vreinterpret_s8_s32(vdup_lane_s32(vget_high_s32(x), 1)));
  }
  if (k + 8 <= kp) {
    pair<true>(r, w, load4(a + k), load4(a + k + 4));
    k += 8;
  }
  if (k < kp) {  // an odd last group alone
    const int8x8_t x = load4(a + k);
    pair<false>(r, w, x, x);
  }
  c0 = join(r.l0, r.h0), c1 = join(r.l1, r.h1);
}

}  // namespace

void qd8_f32_qc8w_gemm_1x16c4__neon(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                    const float* a_scale, const int8_t* W, const float* w_scale,
                                    const int32_t*, const float* bias, float* C, size_t ldc,
                                    Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = N - n0 < 16 ? N - n0 : 16;
    const int8_t* w = W + n0 * kp;
    for (size_t m = 0; m < M; ++m) {
      int32x4_t t0, t1, t2, t3;
      half_row(kp, A + m * lda, w, t0, t1);
      half_row(kp, A + m * lda, w + 32, t2, t3);
      const float as = a_scale[m];
      qd8_f32_row16_epilogue__neon(t0, t1, t2, t3, as, w_scale + n0,
                                   bias ? bias + n0 : nullptr, count, C + m * ldc + n0, epilogue);
    }
  }
}

}  // namespace tern
#endif  // defined(__arm__)
