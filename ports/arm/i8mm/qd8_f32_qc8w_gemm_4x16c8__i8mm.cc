// int8 GEMM with the ARMv8.6 int8 matrix multiply: smmla (vmmlaq_s32) multiplies a 2x8 block of A
// (two rows, 8 k) by an 8x2 block of W (8 k, two channels) into a 2x2 int32 tile: 32 MACs per
// instruction, twice sdot's. It needs 8 consecutive k per channel in one operand, which the N16K4
// blob keeps in two groups: zip1/zip2 of the same 16-byte channel quad of groups g and g + 1 give
// [n0 k0-3, n0 k4-7, n1 k0-3, n1 k4-7], the operand for channels n0, n1 (and n2, n3). So the
// layout is the same as the other tiers'; "c8" is the kernel's K step. A row pair is zipped
// likewise (vzip1q_s64 / vzip2q_s64). A last group without a partner pairs with zeros.
// Tile: MR <= 4 rows (two row pairs; a missing row is zeros) x one 16-channel block:
// 2 pairs x 8 channel pairs = 16 accumulators. A single row would waste half of each smmla, so a
// lone leftover row goes to the neondot kernel (every i8mm CPU has dotprod; this file is compiled
// with +dotprod+i8mm).
#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {

namespace {

// A row pair's accumulators: cj holds [r0 n2j, r0 n2j+1, r1 n2j, r1 n2j+1] for channel pair j.
// Named fields: GCC 12 copies accumulators kept in arrays.
struct Pair {
  int32x4_t c0, c1, c2, c3, c4, c5, c6, c7;
};

inline int8x16_t zip1_32(int8x16_t g, int8x16_t h) {
  return vreinterpretq_s8_s32(vzip1q_s32(vreinterpretq_s32_s8(g), vreinterpretq_s32_s8(h)));
}
inline int8x16_t zip2_32(int8x16_t g, int8x16_t h) {
  return vreinterpretq_s8_s32(vzip2q_s32(vreinterpretq_s32_s8(g), vreinterpretq_s32_s8(h)));
}
inline int8x16_t zip1_64(int8x16_t x, int8x16_t y) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(x), vreinterpretq_s64_s8(y)));
}
inline int8x16_t zip2_64(int8x16_t x, int8x16_t y) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(x), vreinterpretq_s64_s8(y)));
}

// One channel quad (g: group g's 16 bytes, h: group g + 1's) into channel pairs (lo, hi) of P row
// pairs with A operands a (pair 0) and b (pair 1). The empty asm keeps GCC 12 from hoisting all
// of a step's weight loads, which would spill accumulators.
template <int P>
__attribute__((always_inline)) inline void quad(int32x4_t& p0lo, int32x4_t& p0hi, int32x4_t& p1lo, int32x4_t& p1hi,
                                                int8x16_t g, int8x16_t h, int8x16_t a, int8x16_t b) {
  const int8x16_t lo = zip1_32(g, h), hi = zip2_32(g, h);
  p0lo = vmmlaq_s32(p0lo, a, lo);
  p0hi = vmmlaq_s32(p0hi, a, hi);
  if (P > 1) p1lo = vmmlaq_s32(p1lo, b, lo), p1hi = vmmlaq_s32(p1hi, b, hi);
}

// 8 k of P row pairs (A operands a, b) times groups g (at w) and g + 1 (at w + 64, or zeros when
// Two is false: the last group of an odd count).
template <int P, bool Two>
__attribute__((always_inline)) inline void step8(Pair& p0, Pair& p1, const int8_t* w, int8x16_t a, int8x16_t b) {
  const int8x16_t z = vdupq_n_s8(0);
  asm volatile("" ::: "memory");
  quad<P>(p0.c0, p0.c1, p1.c0, p1.c1, vld1q_s8(w), Two ? vld1q_s8(w + 64) : z, a, b);
  quad<P>(p0.c2, p0.c3, p1.c2, p1.c3, vld1q_s8(w + 16), Two ? vld1q_s8(w + 80) : z, a, b);
  asm volatile("" ::: "memory");
  quad<P>(p0.c4, p0.c5, p1.c4, p1.c5, vld1q_s8(w + 32), Two ? vld1q_s8(w + 96) : z, a, b);
  quad<P>(p0.c6, p0.c7, p1.c6, p1.c7, vld1q_s8(w + 48), Two ? vld1q_s8(w + 112) : z, a, b);
}

// 4 k of a row in lanes 0-3, zeros in 4-7 (the last group's half of an A operand); memcpy because
// rows need not be 4-byte aligned.
inline int8x16_t load4(const int8_t* a) {
  int32_t v;
  __builtin_memcpy(&v, a, 4);
  return vreinterpretq_s8_s32(vsetq_lane_s32(v, vdupq_n_s32(0), 0));
}

// R = 2..4 rows of A (stride lda; rows past R count as zeros) times one 16-channel block w, over
// kp (multiple of 4) K values.
template <int R>
void tile(size_t kp, const int8_t* a0, size_t lda, const int8_t* w, Pair& o0, Pair& o1) {
  constexpr int P = R > 2 ? 2 : 1;
  const int32x4_t z = vdupq_n_s32(0);
  const int8x16_t zb = vdupq_n_s8(0);
  Pair p0{z, z, z, z, z, z, z, z}, p1 = p0;
  const int8_t* a1 = a0 + lda;
  const int8_t* a2 = a0 + 2 * lda;
  const int8_t* a3 = a0 + 3 * lda;
  size_t k = 0;
  for (; k + 16 <= kp; k += 16, w += 256) {
    const int8x16_t x0 = vld1q_s8(a0 + k), x1 = vld1q_s8(a1 + k);
    const int8x16_t x2 = R > 2 ? vld1q_s8(a2 + k) : zb, x3 = R > 3 ? vld1q_s8(a3 + k) : zb;
    step8<P, true>(p0, p1, w, zip1_64(x0, x1), zip1_64(x2, x3));
    step8<P, true>(p0, p1, w + 128, zip2_64(x0, x1), zip2_64(x2, x3));
  }
  if (k + 8 <= kp) {
    const int8x16_t x0 = vcombine_s8(vld1_s8(a0 + k), vld1_s8(a1 + k));
    const int8x16_t x1 = vcombine_s8(R > 2 ? vld1_s8(a2 + k) : vget_low_s8(zb), R > 3 ? vld1_s8(a3 + k) : vget_low_s8(zb));
    step8<P, true>(p0, p1, w, x0, x1);
    k += 8, w += 128;
  }
  if (k < kp) {
    const int8x16_t x0 = zip1_64(load4(a0 + k), load4(a1 + k));
    const int8x16_t x1 = zip1_64(R > 2 ? load4(a2 + k) : zb, R > 3 ? load4(a3 + k) : zb);
    step8<P, false>(p0, p1, w, x0, x1);
  }
  o0 = p0, o1 = p1;
}

inline int32x4_t row0(int32x4_t x, int32x4_t y) {
  return vreinterpretq_s32_s64(vzip1q_s64(vreinterpretq_s64_s32(x), vreinterpretq_s64_s32(y)));
}
inline int32x4_t row1(int32x4_t x, int32x4_t y) {
  return vreinterpretq_s32_s64(vzip2q_s64(vreinterpretq_s64_s32(x), vreinterpretq_s64_s32(y)));
}

}  // namespace

void qd8_f32_qc8w_gemm_4x16c8__i8mm(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                   const float* a_scale, const int8_t* W, const float* w_scale,
                                   const int32_t* col_sums, const float* bias, float* C, size_t ldc,
                                   Epilogue epilogue) {
  if (M % 4 == 1) {  // a lone row: sdot does not waste half of each product
    --M;
    qd8_f32_qc8w_gemm_4x16c4__neondot(1, N, K, A + M * lda, lda, a_scale + M, W, w_scale, col_sums, bias,
                                      C + M * ldc, ldc, epilogue);
    if (M == 0) return;
  }
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = N - n0 < 16 ? N - n0 : 16;
    const int8_t* w = W + n0 * kp;
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      const size_t mr = M - m0 < 4 ? M - m0 : 4;
      Pair pairs[2];
      const int8_t* a = A + m0 * lda;
      switch (mr) {
        case 2: tile<2>(kp, a, lda, w, pairs[0], pairs[1]); break;
        case 3: tile<3>(kp, a, lda, w, pairs[0], pairs[1]); break;
        default: tile<4>(kp, a, lda, w, pairs[0], pairs[1]); break;
      }
      for (size_t r = 0; r < mr; ++r) {
        const Pair& p = pairs[r / 2];
        const bool second = r % 2;
        const int32x4_t t0 = second ? row1(p.c0, p.c1) : row0(p.c0, p.c1);
        const int32x4_t t1 = second ? row1(p.c2, p.c3) : row0(p.c2, p.c3);
        const int32x4_t t2 = second ? row1(p.c4, p.c5) : row0(p.c4, p.c5);
        const int32x4_t t3 = second ? row1(p.c6, p.c7) : row0(p.c6, p.c7);
        const float as = a_scale[m0 + r];
        qd8_f32_row16_epilogue__neon(t0, t1, t2, t3, as, w_scale + n0,
                                     bias ? bias + n0 : nullptr, count, C + (m0 + r) * ldc + n0, epilogue);
      }
    }
  }
}

}  // namespace tern
