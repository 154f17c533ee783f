// Per-row symmetric int8 quantization, bit-identical to qd8_quantize_rows__ref: the same absmax, the
// same scalar 127 / absmax, the same float product, rounded half to even.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// max |x| as the maximum of the sign-cleared bit patterns: for non-NaN floats their integer order is
// the float order, and unlike a float max it does not flush denormals on armv7 NEON.
inline uint32x4_t abs_bits(float32x4_t v) { return vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x7fffffffu)); }

// round(v) to int32, ties to even. |v| <= 127 here (x * (127 / absmax) rounds to at most 127), so
// no clamp is needed and the armv7 magic-number rounding is exact.
inline int32x4_t round_s32(float32x4_t v) {
#if defined(__aarch64__)
  return vcvtnq_s32_f32(v);
#else
  return vcvtq_s32_f32(round4(v));
#endif
}

inline int16x4_t quantize4(const float* x, float32x4_t inv) { return vmovn_s32(round_s32(vmulq_f32(vld1q_f32(x), inv))); }

}  // namespace

void qd8_quantize_rows__neon(size_t M, size_t K, const float* X, size_t ldx, int8_t* Q, size_t ldq, float* scale) {
  for (size_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    int8_t* q = Q + m * ldq;
    uint32x4_t mx0 = vdupq_n_u32(0), mx1 = vdupq_n_u32(0);
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
      mx0 = vmaxq_u32(mx0, abs_bits(vld1q_f32(x + k)));
      mx1 = vmaxq_u32(mx1, abs_bits(vld1q_f32(x + k + 4)));
    }
    if (k + 4 <= K) mx0 = vmaxq_u32(mx0, abs_bits(vld1q_f32(x + k)));
    if (K % 4) mx1 = vmaxq_u32(mx1, abs_bits(load_tail(x + K / 4 * 4, K % 4)));
    mx0 = vmaxq_u32(mx0, mx1);
    uint32x2_t mx2 = vmax_u32(vget_low_u32(mx0), vget_high_u32(mx0));
    mx2 = vpmax_u32(mx2, mx2);
    const float absmax = vget_lane_f32(vreinterpret_f32_u32(mx2), 0);
    const float inv = absmax > 0 ? 127.0f / absmax : 1.0f;
    scale[m] = absmax > 0 ? absmax / 127.0f : 1.0f;
    const float32x4_t vinv = vdupq_n_f32(inv);
    k = 0;
    for (; k + 16 <= K; k += 16) {
      const int16x8_t lo = vcombine_s16(quantize4(x + k, vinv), quantize4(x + k + 4, vinv));
      const int16x8_t hi = vcombine_s16(quantize4(x + k + 8, vinv), quantize4(x + k + 12, vinv));
      vst1q_s8(q + k, vcombine_s8(vmovn_s16(lo), vmovn_s16(hi)));
    }
    for (; k + 4 <= K; k += 4) {
      const int8x8_t v = vmovn_s16(vcombine_s16(quantize4(x + k, vinv), vdup_n_s16(0)));
      vst1_lane_s8(q + k, v, 0), vst1_lane_s8(q + k + 1, v, 1), vst1_lane_s8(q + k + 2, v, 2), vst1_lane_s8(q + k + 3, v, 3);
    }
    if (k < K) {  // the zero lanes of the tail quantize to 0: they are the padding up to round_up(K, 4)
      const int16x4_t t = vmovn_s32(round_s32(vmulq_f32(load_tail(x + k, K - k), vinv)));
      const int8x8_t v = vmovn_s16(vcombine_s16(t, vdup_n_s16(0)));
      vst1_lane_s8(q + k, v, 0), vst1_lane_s8(q + k + 1, v, 1), vst1_lane_s8(q + k + 2, v, 2), vst1_lane_s8(q + k + 3, v, 3);
    }
  }
}

}  // namespace tern
