// int8 GEMM with the ARMv8.2 dot product: sdot by lane (vdotq_laneq_s32) multiplies a 16-byte N16K4
// weight vector (4 channels x 4 k) by the 4 k of one activation row held in a lane, so no
// broadcast is needed: one 16-byte load of a row serves 4 K groups.
// Tile: MR <= 4 rows x one 16-channel block; 16 accumulators + 4 rows of A + 8 weight vectors
// (two groups in flight) of the 32 registers. One row (decoder steps) has its own loop.
#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {

namespace {

// One row's accumulators: channels 0-3, 4-7, 8-11, 12-15 of the block. Named fields: GCC 12 copies
// accumulators kept in arrays.
struct Row {
  int32x4_t c0, c1, c2, c3;
};

// One K group's 64 weight bytes: channels 0-3, 4-7, 8-11, 12-15 x 4 k.
struct Group {
  int8x16_t w0, w1, w2, w3;
};

// Separate 16-byte loads, which GCC pairs into ldp: vld1q_s8_x4 needs 4 consecutive registers and
// made GCC 12 move and spill accumulators.
inline Group load_group(const int8_t* w) {
  return Group{vld1q_s8(w), vld1q_s8(w + 16), vld1q_s8(w + 32), vld1q_s8(w + 48)};
}

// K group L (lane L of a: 4 k of one row) times the group's weights.
template <int L>
inline void dot(Row& r, const Group& g, int8x16_t a) {
  r.c0 = vdotq_laneq_s32(r.c0, g.w0, a, L);
  r.c1 = vdotq_laneq_s32(r.c1, g.w1, a, L);
  r.c2 = vdotq_laneq_s32(r.c2, g.w2, a, L);
  r.c3 = vdotq_laneq_s32(r.c3, g.w3, a, L);
}

inline Row add(const Row& x, const Row& y) {
  return Row{vaddq_s32(x.c0, y.c0), vaddq_s32(x.c1, y.c1), vaddq_s32(x.c2, y.c2), vaddq_s32(x.c3, y.c3)};
}

// 4 k of a row in every lane; memcpy because rows need not be 4-byte aligned, and a 16-byte load
// could read past the end of the last row.
inline int8x16_t load4(const int8_t* a) {
  int32_t v;
  __builtin_memcpy(&v, a, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

// A whole group in one instruction (ld1 of 4 registers): for one row, whose loop is little more
// than loads and sdots. In the 4-row tile it made GCC 12 move and spill accumulators.
inline Group load_group_x4(const int8_t* w) {
  const int8x16x4_t g = vld1q_s8_x4(w);
  return Group{g.val[0], g.val[1], g.val[2], g.val[3]};
}

// 16 k of one row (x) times 4 groups, into one accumulator set per even and odd group: 8
// independent sdot chains hide sdot's latency in a decoder step, where one row streams the weights.
// w advances after each load so that every ld1 post-increments one register (ld1 has no offset).
__attribute__((always_inline)) inline void dot16(Row& even, Row& odd, int8x16_t x, const int8_t*& w) {
  const Group g0 = load_group_x4(w);
  w += 64;
  dot<0>(even, g0, x);
  const Group g1 = load_group_x4(w);
  w += 64;
  dot<1>(odd, g1, x);
  const Group g2 = load_group_x4(w);
  w += 64;
  dot<2>(even, g2, x);
  const Group g3 = load_group_x4(w);
  w += 64;
  dot<3>(odd, g3, x);
}

Row one_row(size_t kp, const int8_t* a, const int8_t* w) {
  const int32x4_t z = vdupq_n_s32(0);
  Row even{z, z, z, z}, odd = even;
  size_t k = 0;
  for (; k + 32 <= kp; k += 32) {
    dot16(even, odd, vld1q_s8(a + k), w);
    dot16(even, odd, vld1q_s8(a + k + 16), w);
  }
  if (k + 16 <= kp) {
    dot16(even, odd, vld1q_s8(a + k), w);
    k += 16;
  }
  for (; k < kp; k += 4, w += 64) dot<0>(even, load_group_x4(w), load4(a + k));
  return add(even, odd);
}

// R = 2..4 rows of A (stride lda) times one 16-channel block w, over kp (multiple of 4) K values.
template <int R>
void tile(size_t kp, const int8_t* a, size_t lda, const int8_t* w, Row& o0, Row& o1, Row& o2, Row& o3) {
  const int32x4_t z = vdupq_n_s32(0);
  Row r0{z, z, z, z}, r1 = r0, r2 = r0, r3 = r0;
  const int8_t* a0 = a;
  const int8_t* a1 = a + lda;
  const int8_t* a2 = a + 2 * lda;
  const int8_t* a3 = a + 3 * lda;
  size_t k = 0;
  for (; k + 16 <= kp; k += 16) {
    const int8x16_t x0 = vld1q_s8(a0 + k), x1 = vld1q_s8(a1 + k);
    const int8x16_t x2 = R > 2 ? vld1q_s8(a2 + k) : x0;
    const int8x16_t x3 = R > 3 ? vld1q_s8(a3 + k) : x0;
    const Group g0 = load_group(w);
    const Group g1 = load_group(w + 64);
    dot<0>(r0, g0, x0), dot<0>(r1, g0, x1);
    if (R > 2) dot<0>(r2, g0, x2);
    if (R > 3) dot<0>(r3, g0, x3);
    dot<1>(r0, g1, x0), dot<1>(r1, g1, x1);
    if (R > 2) dot<1>(r2, g1, x2);
    if (R > 3) dot<1>(r3, g1, x3);
    // Keeps GCC from hoisting the next two groups' loads above these sdots: 16 more live
    // registers than the 32 made it spill accumulators.
    asm volatile("" ::: "memory");
    const Group g2 = load_group(w + 128);
    const Group g3 = load_group(w + 192);
    w += 256;
    dot<2>(r0, g2, x0), dot<2>(r1, g2, x1);
    if (R > 2) dot<2>(r2, g2, x2);
    if (R > 3) dot<2>(r3, g2, x3);
    dot<3>(r0, g3, x0), dot<3>(r1, g3, x1);
    if (R > 2) dot<3>(r2, g3, x2);
    if (R > 3) dot<3>(r3, g3, x3);
  }
  for (; k < kp; k += 4) {  // 1 to 3 groups left
    const Group g = load_group(w);
    w += 64;
    dot<0>(r0, g, load4(a0 + k));
    dot<0>(r1, g, load4(a1 + k));
    if (R > 2) dot<0>(r2, g, load4(a2 + k));
    if (R > 3) dot<0>(r3, g, load4(a3 + k));
  }
  o0 = r0, o1 = r1, o2 = r2, o3 = r3;
}

}  // namespace

void qd8_f32_qc8w_gemm_4x16c4__neondot(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                       const float* a_scale, const int8_t* W, const float* w_scale,
                                       const int32_t*, const float* bias, float* C, size_t ldc,
                                       Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = N - n0 < 16 ? N - n0 : 16;
    const int8_t* w = W + n0 * kp;
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      const size_t mr = M - m0 < 4 ? M - m0 : 4;
      Row acc[4];
      const int8_t* a = A + m0 * lda;
      switch (mr) {
        case 1: acc[0] = one_row(kp, a, w); break;
        case 2: tile<2>(kp, a, lda, w, acc[0], acc[1], acc[2], acc[3]); break;
        case 3: tile<3>(kp, a, lda, w, acc[0], acc[1], acc[2], acc[3]); break;
        default: tile<4>(kp, a, lda, w, acc[0], acc[1], acc[2], acc[3]); break;
      }
      for (size_t r = 0; r < mr; ++r) {
        const float as = a_scale[m0 + r];
        qd8_f32_row16_epilogue__neon(acc[r].c0, acc[r].c1, acc[r].c2, acc[r].c3, as, w_scale + n0,
                                     bias ? bias + n0 : nullptr, count, C + (m0 + r) * ldc + n0, epilogue);
      }
    }
  }
}

}  // namespace tern
