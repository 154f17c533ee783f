// exp, log, erf and tanh on 4 floats, for the NEON kernels in this folder only (internal linkage:
// every file that includes this is compiled with the same flags). The algorithms are those of
// ../../x86/avx2/vector_math.h; only the instructions differ. aarch64 and armv7 (NEON + VFPv4) share
// this file: armv7 lacks vector division, square root and round-to-nearest, so those three go
// through the small helpers below.
#pragma once

#include <arm_neon.h>

#include "kernels/kernels.h"

namespace tern {
namespace {

// a / b. armv7: reciprocal estimate (8 bits), two Newton steps, then one fused correction of the
// quotient, which leaves it within about an ulp of the correctly rounded one.
inline float32x4_t div4(float32x4_t a, float32x4_t b) {
#if defined(__aarch64__)
  return vdivq_f32(a, b);
#else
  float32x4_t r = vrecpeq_f32(b);
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  const float32x4_t q = vmulq_f32(a, r);
  return vfmaq_f32(q, r, vfmsq_f32(a, q, b));  // q + r (a - q b)
#endif
}

// 1 / sqrt(x) for x > 0. armv7: estimate plus three Newton steps, then one residual correction.
inline float32x4_t rsqrt4(float32x4_t x) {
#if defined(__aarch64__)
  return vdivq_f32(vdupq_n_f32(1.0f), vsqrtq_f32(x));
#else
  float32x4_t r = vrsqrteq_f32(x);
  r = vmulq_f32(r, vrsqrtsq_f32(vmulq_f32(x, r), r));
  r = vmulq_f32(r, vrsqrtsq_f32(vmulq_f32(x, r), r));
  r = vmulq_f32(r, vrsqrtsq_f32(vmulq_f32(x, r), r));
  // r += r/2 (1 - x r^2), the residual computed with fused multiplies.
  const float32x4_t xr = vmulq_f32(x, r);
  const float32x4_t e = vfmsq_f32(vdupq_n_f32(1.0f), xr, r);
  return vfmaq_f32(r, vmulq_n_f32(r, 0.5f), e);
#endif
}

// Round to the nearest integer, ties to even (|x| < 2^22). armv7 NEON always rounds to nearest, so
// adding and removing 1.5 * 2^23 leaves the rounded value.
inline float32x4_t round4(float32x4_t x) {
#if defined(__aarch64__)
  return vrndnq_f32(x);
#else
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  return vsubq_f32(vaddq_f32(x, magic), magic);
#endif
}

// GCC 12 for armv7 writes vcltq_f32 and friends (and vnegq_f32) as generic vector comparisons, which
// it will not put on NEON without -ffast-math (NEON flushes denormals): each becomes four scalar VFP
// compares. The absolute comparisons vcaltq/vcagtq are real builtins, so the comparisons here are
// written with them (all against magnitudes).

// x < c for c < 0: |x| > |c| and x negative.
inline uint32x4_t less_than_negative(float32x4_t x, float32x4_t c) {
#if defined(__aarch64__)
  return vcltq_f32(x, c);
#else
  return vandq_u32(vcagtq_f32(x, c), vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31)));
#endif
}

inline float hsum4(float32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  const float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(s, s), 0);
#endif
}

inline float hmax4(float32x4_t v) {
#if defined(__aarch64__)
  return vmaxvq_f32(v);
#else
  const float32x2_t s = vmax_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpmax_f32(s, s), 0);
#endif
}

// Lanes 0..n-1 of p (n in 1..3), the others `fill`: row tails without reading past the row.
inline float32x4_t load_tail(const float* p, size_t n, float fill = 0.0f) {
  float32x4_t v = vdupq_n_f32(fill);
  v = vld1q_lane_f32(p, v, 0);
  if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
  if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
  return v;
}

inline void store_tail(float* p, size_t n, float32x4_t v) {
  vst1q_lane_f32(p, v, 0);
  if (n > 1) vst1q_lane_f32(p + 1, v, 1);
  if (n > 2) vst1q_lane_f32(p + 2, v, 2);
}

// All-ones in lanes 0..n-1.
inline uint32x4_t first_lanes(size_t n) {
  const uint32_t idx[4] = {0, 1, 2, 3};
  return vcltq_u32(vld1q_u32(idx), vdupq_n_u32(uint32_t(n)));
}

// exp(x): n = round(x / ln2), r = x - n ln2 (two-part ln2), Cephes expf polynomial on r, times 2^n
// built in the exponent bits (split in two factors so n = 128 near the top does not overflow).
// Relative error ~1e-7; exact 0 below -87.3 (masked attention scores must vanish).
inline float32x4_t exp4(float32x4_t x) {
  const float32x4_t lo = vdupq_n_f32(-87.3365478515625f);
  const uint32x4_t underflow = less_than_negative(x, lo);
  x = vminq_f32(vmaxq_f32(x, lo), vdupq_n_f32(88.3762626647949f));
  const float32x4_t n = round4(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t ni = vcvtq_s32_f32(n);  // exact: n is integral
  const int32x4_t half = vshrq_n_s32(ni, 1);
  const int32x4_t bias = vdupq_n_s32(127);
  const float32x4_t a = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(half, bias), 23));
  const float32x4_t b = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, half), bias), 23));
  const float32x4_t y = vmulq_f32(vmulq_f32(p, a), b);
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y), underflow));
}

// log(x) for normal x > 0: Cephes logf (x = m 2^e, m in [sqrt(1/2), sqrt(2)), polynomial in m - 1).
inline float32x4_t log4(float32x4_t x) {
  const int32x4_t bits = vreinterpretq_s32_f32(x);
  // m in [0.5, 1): keep the mantissa, set the exponent of 0.5.
  float32x4_t m = vreinterpretq_f32_s32(vorrq_s32(vandq_s32(bits, vdupq_n_s32(0x007fffff)), vdupq_n_s32(0x3f000000)));
  float32x4_t e = vcvtq_f32_s32(vsubq_s32(vshrq_n_s32(bits, 23), vdupq_n_s32(126)));
  const uint32x4_t small = vcaltq_f32(m, vdupq_n_f32(0.707106781186547524f));  // m > 0
  // m < sqrt(1/2): use 2m - 1 and e - 1, else m - 1.
  e = vsubq_f32(e, vreinterpretq_f32_u32(vandq_u32(small, vreinterpretq_u32_f32(vdupq_n_f32(1.0f)))));
  m = vsubq_f32(vaddq_f32(m, vreinterpretq_f32_u32(vandq_u32(small, vreinterpretq_u32_f32(m)))), vdupq_n_f32(1.0f));
  const float32x4_t z = vmulq_f32(m, m);
  float32x4_t p = vdupq_n_f32(7.0376836292e-2f);
  p = vfmaq_f32(vdupq_n_f32(-1.1514610310e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(1.1676998740e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(-1.2420140846e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(1.4249322787e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(-1.6668057665e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(2.0000714765e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(-2.4999993993e-1f), p, m);
  p = vfmaq_f32(vdupq_n_f32(3.3333331174e-1f), p, m);
  float32x4_t y = vmulq_f32(vmulq_f32(p, m), z);
  y = vfmaq_f32(y, e, vdupq_n_f32(-2.12194440e-4f));
  y = vfmsq_f32(y, z, vdupq_n_f32(0.5f));
  return vfmaq_f32(vaddq_f32(m, y), e, vdupq_n_f32(0.693359375f));
}

inline float32x4_t copysign4(float32x4_t magnitude, float32x4_t sign) {
  return vbslq_f32(vdupq_n_u32(0x80000000u), sign, magnitude);
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|): no cancellation for large |x|; for
// |x| < 0.0625 an odd polynomial keeps the relative error small.
inline float32x4_t tanh4(float32x4_t x) {
  const float32x4_t ax = vabsq_f32(x), one = vdupq_n_f32(1.0f);
  const float32x4_t e = exp4(vmulq_n_f32(ax, -2.0f));
  float32x4_t t = div4(vsubq_f32(one, e), vaddq_f32(one, e));
  const float32x4_t x2 = vmulq_f32(x, x);
  float32x4_t small = vfmaq_f32(vdupq_n_f32(-1.0f / 3.0f), x2, vdupq_n_f32(2.0f / 15.0f));
  small = vfmaq_f32(ax, vmulq_f32(small, x2), ax);
  t = vbslq_f32(vcaltq_f32(ax, vdupq_n_f32(0.0625f)), small, t);
  return copysign4(t, x);
}

// erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), with a Taylor series below 0.25
// where the relative error of 7.1.26 would grow.
inline float32x4_t erf4(float32x4_t x) {
  const float32x4_t ax = vabsq_f32(x), one = vdupq_n_f32(1.0f);
  const float32x4_t t = div4(one, vfmaq_f32(one, ax, vdupq_n_f32(0.3275911f)));
  float32x4_t p = vdupq_n_f32(1.061405429f);
  p = vfmaq_f32(vdupq_n_f32(-1.453152027f), p, t);
  p = vfmaq_f32(vdupq_n_f32(1.421413741f), p, t);
  p = vfmaq_f32(vdupq_n_f32(-0.284496736f), p, t);
  p = vfmaq_f32(vdupq_n_f32(0.254829592f), p, t);
  p = vmulq_f32(p, t);
  float32x4_t y = vfmsq_f32(one, p, exp4(vfmsq_f32(vdupq_n_f32(0.0f), ax, ax)));  // exp(-x^2), no vnegq (see above)
  const float32x4_t x2 = vmulq_f32(ax, ax);
  float32x4_t s = vfmaq_f32(vdupq_n_f32(1.0f / 10.0f), x2, vdupq_n_f32(-1.0f / 42.0f));
  s = vfmaq_f32(vdupq_n_f32(-1.0f / 3.0f), s, x2);
  s = vfmaq_f32(one, s, x2);
  s = vmulq_n_f32(vmulq_f32(s, ax), 1.1283791670955126f);
  y = vbslq_f32(vcaltq_f32(ax, vdupq_n_f32(0.25f)), s, y);
  return copysign4(y, x);
}

// epilogue(v) for every Epilogue, shared by the activation kernel and the GEMM epilogues.
inline float32x4_t activate4(float32x4_t v, Epilogue epilogue) {
  const float32x4_t half_v = vmulq_n_f32(v, 0.5f), one = vdupq_n_f32(1.0f);
  switch (epilogue) {
    case Epilogue::kGeluErf: return vmulq_f32(half_v, vaddq_f32(one, erf4(vmulq_n_f32(v, 0.70710678118654752f))));
    case Epilogue::kGeluTanh: {
      const float32x4_t inner =
          vmulq_n_f32(vfmaq_f32(v, vmulq_n_f32(v, 0.044715f), vmulq_f32(v, v)), 0.7978845608028654f);
      return vmulq_f32(half_v, vaddq_f32(one, tanh4(inner)));
    }
    case Epilogue::kTanh: return tanh4(v);
    case Epilogue::kRelu: return vmaxq_f32(v, vdupq_n_f32(0.0f));
    default: return v;
  }
}

}  // namespace
}  // namespace tern
