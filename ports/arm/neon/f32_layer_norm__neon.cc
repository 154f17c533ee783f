// y = LayerNorm(x + residual) * gamma + beta for one row, in three passes (sum, centred squares,
// scale) with 8-lane float partial sums; y may alias x or residual (each pass reads an element
// before writing it).
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_layer_norm__neon(size_t dim, const float* x, const float* residual, const float* gamma, const float* beta,
                          float eps, float* y) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  size_t i = 0;
  if (residual) {
    for (; i + 8 <= dim; i += 8) {
      const float32x4_t v0 = vaddq_f32(vld1q_f32(x + i), vld1q_f32(residual + i));
      const float32x4_t v1 = vaddq_f32(vld1q_f32(x + i + 4), vld1q_f32(residual + i + 4));
      vst1q_f32(y + i, v0), vst1q_f32(y + i + 4, v1);
      s0 = vaddq_f32(s0, v0), s1 = vaddq_f32(s1, v1);
    }
    for (; i + 4 <= dim; i += 4) {
      const float32x4_t v = vaddq_f32(vld1q_f32(x + i), vld1q_f32(residual + i));
      vst1q_f32(y + i, v);
      s0 = vaddq_f32(s0, v);
    }
    if (i < dim) {
      const float32x4_t v = vaddq_f32(load_tail(x + i, dim - i), load_tail(residual + i, dim - i));
      store_tail(y + i, dim - i, v);
      s1 = vaddq_f32(s1, v);
    }
  } else {
    for (; i + 8 <= dim; i += 8) {
      const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
      if (y != x) vst1q_f32(y + i, v0), vst1q_f32(y + i + 4, v1);
      s0 = vaddq_f32(s0, v0), s1 = vaddq_f32(s1, v1);
    }
    for (; i + 4 <= dim; i += 4) {
      const float32x4_t v = vld1q_f32(x + i);
      if (y != x) vst1q_f32(y + i, v);
      s0 = vaddq_f32(s0, v);
    }
    if (i < dim) {
      const float32x4_t v = load_tail(x + i, dim - i);
      if (y != x) store_tail(y + i, dim - i, v);
      s1 = vaddq_f32(s1, v);
    }
  }
  const float fdim = float(dim);
  const float32x4_t mean = vdupq_n_f32(hsum4(vaddq_f32(s0, s1)) / fdim);

  s0 = s1 = vdupq_n_f32(0.0f);
  for (i = 0; i + 8 <= dim; i += 8) {
    const float32x4_t d0 = vsubq_f32(vld1q_f32(y + i), mean), d1 = vsubq_f32(vld1q_f32(y + i + 4), mean);
    s0 = vfmaq_f32(s0, d0, d0), s1 = vfmaq_f32(s1, d1, d1);
  }
  for (; i + 4 <= dim; i += 4) {
    const float32x4_t d = vsubq_f32(vld1q_f32(y + i), mean);
    s0 = vfmaq_f32(s0, d, d);
  }
  if (i < dim) {
    const float32x4_t d = vreinterpretq_f32_u32(
        vandq_u32(vreinterpretq_u32_f32(vsubq_f32(load_tail(y + i, dim - i), mean)), first_lanes(dim - i)));
    s1 = vfmaq_f32(s1, d, d);
  }
  const float32x4_t scale = rsqrt4(vdupq_n_f32(hsum4(vaddq_f32(s0, s1)) / fdim + eps));

  for (i = 0; i + 4 <= dim; i += 4) {
    const float32x4_t d = vmulq_f32(vsubq_f32(vld1q_f32(y + i), mean), scale);
    vst1q_f32(y + i, vfmaq_f32(vld1q_f32(beta + i), d, vld1q_f32(gamma + i)));
  }
  if (i < dim) {
    const size_t t = dim - i;
    const float32x4_t d = vmulq_f32(vsubq_f32(load_tail(y + i, t), mean), scale);
    store_tail(y + i, t, vfmaq_f32(load_tail(beta + i, t), d, load_tail(gamma + i, t)));
  }
}

}  // namespace tern
