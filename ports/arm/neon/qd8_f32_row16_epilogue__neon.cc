// The ARM int8 GEMMs' epilogue for one row of one 16-channel block, written once: the neon, neondot
// and i8mm GEMMs (different flags, so no shared inline code) call it with their four accumulator
// vectors, which the procedure call standard passes in registers. About 1.5% of a row-block's
// instructions at K = 768.
#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {
namespace {

// count (1..16) floats of a row segment.
inline void store(float* c, size_t count, float32x4_t y0, float32x4_t y1, float32x4_t y2, float32x4_t y3) {
  if (count == 16) {
    vst1q_f32(c, y0), vst1q_f32(c + 4, y1), vst1q_f32(c + 8, y2), vst1q_f32(c + 12, y3);
    return;
  }
  if (count >= 8) {
    vst1q_f32(c, y0), vst1q_f32(c + 4, y1);
    c += 8, count -= 8, y0 = y2, y1 = y3;
  }
  if (count >= 4) {
    vst1q_f32(c, y0);
    c += 4, count -= 4, y0 = y1;
  }
  if (count >= 2) {
    vst1_f32(c, vget_low_f32(y0));
    c += 2, count -= 2, y0 = vextq_f32(y0, y0, 2);
  }
  if (count == 1) vst1q_lane_f32(c, y0, 0);
}

}  // namespace

void qd8_f32_row16_epilogue__neon(int32x4_t acc0, int32x4_t acc1, int32x4_t acc2, int32x4_t acc3, float a_scale,
                                  const float* w_scale, const float* bias, size_t count, float* c,
                                  Epilogue epilogue) {
  // A partial block or a missing bias reads through a zero-padded copy.
  float s[16], b[16];
  if (count < 16 || !bias) {
    for (size_t i = 0; i < 16; ++i) {
      s[i] = i < count ? w_scale[i] : 0.0f;
      b[i] = i < count && bias ? bias[i] : 0.0f;
    }
    w_scale = s, bias = b;
  }
  float32x4_t y0 = vfmaq_f32(vld1q_f32(bias), vcvtq_f32_s32(acc0), vmulq_n_f32(vld1q_f32(w_scale), a_scale));
  float32x4_t y1 = vfmaq_f32(vld1q_f32(bias + 4), vcvtq_f32_s32(acc1), vmulq_n_f32(vld1q_f32(w_scale + 4), a_scale));
  float32x4_t y2 = vfmaq_f32(vld1q_f32(bias + 8), vcvtq_f32_s32(acc2), vmulq_n_f32(vld1q_f32(w_scale + 8), a_scale));
  float32x4_t y3 = vfmaq_f32(vld1q_f32(bias + 12), vcvtq_f32_s32(acc3), vmulq_n_f32(vld1q_f32(w_scale + 12), a_scale));
  if (epilogue == Epilogue::kRelu) {
    const float32x4_t z = vdupq_n_f32(0.0f);
    y0 = vmaxq_f32(y0, z), y1 = vmaxq_f32(y1, z), y2 = vmaxq_f32(y2, z), y3 = vmaxq_f32(y3, z);
  }
  store(c, count, y0, y1, y2, y3);
  if (epilogue != Epilogue::kNone && epilogue != Epilogue::kRelu) f32_activation__neon(c, count, epilogue);
}

}  // namespace tern
