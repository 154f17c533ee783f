// x = exp(x - max) / sum in place (attention rows): a max pass, an exp pass that stores and sums,
// a scaling pass.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_softmax__neon(float* x, size_t n) {
  const float32x4_t top = vdupq_n_f32(row_max(x, n));

  // Two partial sums: independent adds, and 8 lanes keep the rounding of long rows small.
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t e0 = exp4(vsubq_f32(vld1q_f32(x + i), top)), e1 = exp4(vsubq_f32(vld1q_f32(x + i + 4), top));
    vst1q_f32(x + i, e0), vst1q_f32(x + i + 4, e1);
    s0 = vaddq_f32(s0, e0), s1 = vaddq_f32(s1, e1);
  }
  if (i + 4 <= n) {
    const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + i), top));
    vst1q_f32(x + i, e);
    s0 = vaddq_f32(s0, e);
    i += 4;
  }
  if (i < n) {  // padding lanes are exp(-inf-ish) = 0: masked out of the sum anyway
    const float32x4_t e = vreinterpretq_f32_u32(
        vandq_u32(vreinterpretq_u32_f32(exp4(vsubq_f32(load_tail(x + i, n - i), top))), first_lanes(n - i)));
    store_tail(x + i, n - i, e);
    s1 = vaddq_f32(s1, e);
  }
  const float32x4_t inv = vdupq_n_f32(1.0f / hsum4(vaddq_f32(s0, s1)));
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_f32(vld1q_f32(x + i), inv));
  if (i < n) store_tail(x + i, n - i, vmulq_f32(load_tail(x + i, n - i), inv));
}

}  // namespace tern
