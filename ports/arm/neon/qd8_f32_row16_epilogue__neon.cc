// The ARM int8 GEMMs' epilogue for one row of one 16-channel block, written once: the neon, neondot
// and i8mm GEMMs (different flags, so no shared inline code) call it with their four accumulator
// vectors, which the procedure call standard passes in registers: about 30 instructions per row of a
// block (1.5-3% of a row-block's instructions at K = 768-256).
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
  // A partial block reads its scales and biases through a zero-padded copy (only the last block
  // of a layer); a missing bias (T5 has none) is a zero vector.
  float s[16], b[16];
  if (count < 16) {
    for (size_t i = 0; i < 16; ++i) {
      s[i] = i < count ? w_scale[i] : 0.0f;
      b[i] = i < count && bias ? bias[i] : 0.0f;
    }
    w_scale = s, bias = b;
  }
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t b0 = bias ? vld1q_f32(bias) : zero, b1 = bias ? vld1q_f32(bias + 4) : zero;
  const float32x4_t b2 = bias ? vld1q_f32(bias + 8) : zero, b3 = bias ? vld1q_f32(bias + 12) : zero;
  float32x4_t y0 = vfmaq_f32(b0, vcvtq_f32_s32(acc0), vmulq_n_f32(vld1q_f32(w_scale), a_scale));
  float32x4_t y1 = vfmaq_f32(b1, vcvtq_f32_s32(acc1), vmulq_n_f32(vld1q_f32(w_scale + 4), a_scale));
  float32x4_t y2 = vfmaq_f32(b2, vcvtq_f32_s32(acc2), vmulq_n_f32(vld1q_f32(w_scale + 8), a_scale));
  float32x4_t y3 = vfmaq_f32(b3, vcvtq_f32_s32(acc3), vmulq_n_f32(vld1q_f32(w_scale + 12), a_scale));
  if (epilogue == Epilogue::kRelu)
    y0 = vmaxq_f32(y0, zero), y1 = vmaxq_f32(y1, zero), y2 = vmaxq_f32(y2, zero), y3 = vmaxq_f32(y3, zero);
  store(c, count, y0, y1, y2, y3);
  if (epilogue != Epilogue::kNone && epilogue != Epilogue::kRelu) f32_activation__neon(c, count, epilogue);
}

}  // namespace tern
