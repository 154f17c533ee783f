// y = x * rsqrt(mean(x^2) + eps) * weight for one row (T5's norm); y may alias x.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_rms_norm__neon(size_t dim, const float* x, const float* weight, float eps, float* y) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
    s0 = vfmaq_f32(s0, v0, v0), s1 = vfmaq_f32(s1, v1, v1);
  }
  for (; i + 4 <= dim; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    s0 = vfmaq_f32(s0, v, v);
  }
  if (i < dim) {
    const float32x4_t v = load_tail(x + i, dim - i);
    s1 = vfmaq_f32(s1, v, v);
  }
  const float32x4_t scale = rsqrt4(vdupq_n_f32(hsum4(vaddq_f32(s0, s1)) / float(dim) + eps));
  for (i = 0; i + 4 <= dim; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(weight + i), vmulq_f32(vld1q_f32(x + i), scale)));
  if (i < dim) store_tail(y + i, dim - i, vmulq_f32(load_tail(weight + i, dim - i), vmulq_f32(load_tail(x + i, dim - i), scale)));
}

}  // namespace tern
