// int8 GEMM for ARMv8.0 aarch64 (no sdot): smull/smlal multiply int8 pairs into int16, adding the
// products of two K groups (|a| <= 127, |w| <= 128: two products fit in int16), then sadalp adds
// adjacent int16 pairs into int32 accumulators. An N16K4 weight vector (4 channels x 4 k) times
// the row's 4 k repeated 4 times: smull takes channels 0-1 (low half), smull2 channels 2-3.
// Each int32 lane holds a half of one channel's sum; addp joins the halves at the end.
// Tile: MR <= 2 rows x one 16-channel block: 2 x 8 accumulators, 4 A vectors, weights and
// product temporaries in the 32 registers (3 rows would spill).
#if defined(__aarch64__)
#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {

namespace {

// One row's accumulators: lq (channels 4q, 4q+1) and hq (4q+2, 4q+3), two partial sums each.
// Named fields: GCC 12 copies accumulators kept in arrays.
struct Row {
  int32x4_t l0, h0, l1, h1, l2, h2, l3, h3;
};

// Channels of one weight vector w (and v, the next K group's, when Two) times a (b): a and b hold
// 4 k of the row, repeated.
template <bool Two>
__attribute__((always_inline)) inline void mac(int32x4_t& lo, int32x4_t& hi, int8x16_t w, int8x16_t a, int8x16_t v, int8x16_t b) {
  int16x8_t pl = vmull_s8(vget_low_s8(w), vget_low_s8(a));
  int16x8_t ph = vmull_high_s8(w, a);
  if (Two) pl = vmlal_s8(pl, vget_low_s8(v), vget_low_s8(b)), ph = vmlal_high_s8(ph, v, b);
  lo = vpadalq_s16(lo, pl);
  hi = vpadalq_s16(hi, ph);
}

// Channel quads q and q + 1 of groups g (at w) and, when Two, g + 1 (at w + 64) into R rows'
// accumulators; row r's k in a_r (group g) and b_r (group g + 1). Weights are loaded two quads at a
// time, just before use: 16 accumulators + 4 A vectors leave no room for whole groups. The empty
// asm keeps GCC 12 from hoisting the next loads (it hoisted all of them and spilled accumulators).
template <int R, bool Two>
__attribute__((always_inline)) inline void quads(int32x4_t& l0, int32x4_t& h0, int32x4_t& l1, int32x4_t& h1,
                                                 int32x4_t& m0, int32x4_t& i0, int32x4_t& m1, int32x4_t& i1,
                                                 const int8_t* w, int8x16_t a0, int8x16_t b0, int8x16_t a1,
                                                 int8x16_t b1) {
  asm volatile("" ::: "memory");
  const int8x16_t g = vld1q_s8(w), h = Two ? vld1q_s8(w + 64) : g;
  const int8x16_t f = vld1q_s8(w + 16), e = Two ? vld1q_s8(w + 80) : f;
  mac<Two>(l0, h0, g, a0, h, b0);
  if (R > 1) mac<Two>(l1, h1, g, a1, h, b1);
  mac<Two>(m0, i0, f, a0, e, b0);
  if (R > 1) mac<Two>(m1, i1, f, a1, e, b1);
}

template <int R, bool Two>
__attribute__((always_inline)) inline void pair(Row& r0, Row& r1, const int8_t* w, int8x16_t a0, int8x16_t b0,
                                                int8x16_t a1, int8x16_t b1) {
  quads<R, Two>(r0.l0, r0.h0, r1.l0, r1.h0, r0.l1, r0.h1, r1.l1, r1.h1, w, a0, b0, a1, b1);
  quads<R, Two>(r0.l2, r0.h2, r1.l2, r1.h2, r0.l3, r0.h3, r1.l3, r1.h3, w + 32, a0, b0, a1, b1);
}

// 4 k of a row in every lane; memcpy because rows need not be 4-byte aligned.
inline int8x16_t load4(const int8_t* a) {
  int32_t v;
  __builtin_memcpy(&v, a, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

// 4 k of a row in every lane, advancing the row: GCC 12 turns vld1q_dup_s32 into ldr + dup
// whenever it can use an offset instead of a post-increment (ld1r has neither offset nor
// alignment requirement).
inline int8x16_t load4_next(const int8_t*& a) {
  int8x16_t v;
  asm("ld1r {%0.4s}, [%1], #4" : "=w"(v), "+r"(a) : "m"(*reinterpret_cast<const int8_t(*)[4]>(a)));
  return v;
}

// 8 k (two groups) of R rows at a0, a1.
template <int R>
__attribute__((always_inline)) inline void step8(Row& r0, Row& r1, const int8_t* w, const int8_t*& a0,
                                                 const int8_t*& a1) {
  const int8x16_t x0 = load4_next(a0), y0 = load4_next(a0);
  const int8x16_t x1 = R > 1 ? load4_next(a1) : x0, y1 = R > 1 ? load4_next(a1) : y0;
  pair<R, true>(r0, r1, w, x0, y0, x1, y1);
}

// R = 1 or 2 rows of A (stride lda) times one 16-channel block w, over kp (multiple of 4) K values.
template <int R>
void tile(size_t kp, const int8_t* a0, size_t lda, const int8_t* w, Row& o0, Row& o1) {
  const int32x4_t z = vdupq_n_s32(0);
  Row r0{z, z, z, z, z, z, z, z}, r1 = r0;
  const int8_t* a1 = a0 + lda;
  size_t k = 0;
  for (; k + 16 <= kp; k += 16, w += 256) {
    step8<R>(r0, r1, w, a0, a1);
    step8<R>(r0, r1, w + 128, a0, a1);
  }
  if (k + 8 <= kp) {
    step8<R>(r0, r1, w, a0, a1);
    k += 8, w += 128;
  }
  if (k < kp) {  // an odd last group alone
    const int8x16_t x0 = load4(a0), x1 = R > 1 ? load4(a1) : x0;
    pair<R, false>(r0, r1, w, x0, x0, x1, x1);
  }
  o0 = r0, o1 = r1;
}

}  // namespace

void qd8_f32_qc8w_gemm_2x16c4__neon(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                    const float* a_scale, const int8_t* W, const float* w_scale,
                                    const int32_t*, const float* bias, float* C, size_t ldc,
                                    Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = N - n0 < 16 ? N - n0 : 16;
    const int8_t* w = W + n0 * kp;
    for (size_t m0 = 0; m0 < M; m0 += 2) {
      const size_t mr = M - m0 < 2 ? M - m0 : 2;
      Row acc[2];
      if (mr == 1) {
        tile<1>(kp, A + m0 * lda, lda, w, acc[0], acc[1]);
      } else {
        tile<2>(kp, A + m0 * lda, lda, w, acc[0], acc[1]);
      }
      for (size_t r = 0; r < mr; ++r) {
        const Row& t = acc[r];
        const float as = a_scale[m0 + r];
        qd8_f32_row16_epilogue__neon(vpaddq_s32(t.l0, t.h0), vpaddq_s32(t.l1, t.h1), vpaddq_s32(t.l2, t.h2),
                                     vpaddq_s32(t.l3, t.h3), as, w_scale + n0, bias ? bias + n0 : nullptr, count,
                                     C + (m0 + r) * ldc + n0, epilogue);
      }
    }
  }
}

}  // namespace tern
#endif  // defined(__aarch64__)
