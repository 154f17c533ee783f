// x = x - log(sum(exp(x))) in place, over rows as long as a vocabulary (32k): the exponentials are
// summed in float over blocks of 64 and the block sums in double, which keeps the log-sum-exp
// within the reference's double sum to ~1e-7 on any length.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_log_softmax__neon(float* x, size_t n) {
  const float lowest = -3.40282347e+38f;
  const float32x4_t top = vdupq_n_f32(row_max(x, n));

  double total = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    const size_t end = n - i >= 64 ? i + 64 : n / 8 * 8;
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
    for (; i < end; i += 8) {
      s0 = vaddq_f32(s0, exp4(vsubq_f32(vld1q_f32(x + i), top)));
      s1 = vaddq_f32(s1, exp4(vsubq_f32(vld1q_f32(x + i + 4), top)));
    }
    total += double(hsum4(vaddq_f32(s0, s1)));
  }
  float32x4_t s = vdupq_n_f32(0.0f);
  if (i + 4 <= n) s = exp4(vsubq_f32(vld1q_f32(x + i), top)), i += 4;
  if (i < n) s = vaddq_f32(s, exp4(vsubq_f32(load_tail(x + i, n - i, lowest), top)));  // lowest - top: exp 0
  total += double(hsum4(s));

  // x - top - log(sum): x - top is exact near the top, so the dominant entries keep their precision.
  const float32x4_t lse = vdupq_n_f32(vgetq_lane_f32(log4(vdupq_n_f32(float(total))), 0));
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vsubq_f32(vsubq_f32(vld1q_f32(x + i), top), lse));
  if (i < n) store_tail(x + i, n - i, vsubq_f32(vsubq_f32(load_tail(x + i, n - i), top), lse));
}

}  // namespace tern
