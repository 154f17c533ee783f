// exp, log, tanh, GELU and SiLU on 4 floats, for the NEON kernels in this folder only (internal linkage:
// every file that includes this is compiled with the same flags). exp and log are those of
// ../../x86/avx2/vector_math.h; tanh and GELU are rational approximations of their own (below). aarch64 and armv7 (NEON + VFPv4) share
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

// The largest of x[0..n), n >= 1 (softmax's and log-softmax's first pass).
inline float row_max(const float* x, size_t n) {
  const float lowest = -3.40282347e+38f;
  float32x4_t mx0 = vdupq_n_f32(lowest), mx1 = mx0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) mx0 = vmaxq_f32(mx0, vld1q_f32(x + i)), mx1 = vmaxq_f32(mx1, vld1q_f32(x + i + 4));
  if (i + 4 <= n) mx0 = vmaxq_f32(mx0, vld1q_f32(x + i)), i += 4;
  if (i < n) mx1 = vmaxq_f32(mx1, load_tail(x + i, n - i, lowest));
  return hmax4(vmaxq_f32(mx0, mx1));
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

// a / b where a few ulps will do (the quotients below feed terms that are small where that matters).
// armv7: reciprocal estimate (8 bits) and two Newton steps, without div4's final correction.
inline float32x4_t div4_approx(float32x4_t a, float32x4_t b) {
#if defined(__aarch64__)
  return vdivq_f32(a, b);
#else
  float32x4_t r = vrecpeq_f32(b);
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  return vmulq_f32(a, r);
#endif
}

// GELU(x) = x Phi(x), Phi the normal CDF (erf form) or its tanh approximation, as
//   e = 0.5 + k0 x + x P(t) / Q(t),  t = min(x^2, t_max),  GELU = x clamp(e, 0, 1),
// P and Q of degree 5 (Q(0) = 1), fitted by scripts/fit_gelu.py (weighted minimax in double, the weight
// making the error it minimises the test's |y - exact| / (1 + |exact|)). No exp and no branch: one
// division and 23 other instructions on aarch64. Why this shape:
// - Phi(x) - 0.5 is odd, so it is x times an even function, a rational function of t = x^2.
// - For x <= -a (a^2 = t_max), Phi(x) x is below 1e-7; the fit is pinned to e(-a) = -5e-9 and e(a) =
//   1 + 5e-9, so the clamp makes GELU exactly 0 there and exactly x for x >= a, whatever the rounding.
//   Beyond a, t stays at t_max while 0.5 + k0 x + x P/Q moves on linearly, out of [0, 1]: no clamp of
//   x is needed, and x of any size (t = inf included) gives 0 or x.
// - k0 x: where x is large and negative, e is a small difference of numbers near 0.5, and the
//   rounding of P/Q (a few ulps of its value) would be multiplied by |x| up to 5.6. The linear term
//   k0 x ~ x / (2a) takes most of that difference exactly (one fused multiply-add), leaving P/Q small
//   there, so its relative error costs little.
// Measured over [-12, 12] in steps of 2^-12 against double, max |y - exact| / (1 + |exact|): erf form
// 2.2e-7 (aarch64) and 2.3e-7 (armv7), tanh form 1.7e-7 and 2.0e-7 (the exp-based code this replaces:
// 2.6e-7 and 1.5e-7); the test allows 3e-7.
struct GeluRational {
  float t_max, k0, p[6], q[5];  // P = p0 + p1 t + ... + p5 t^5, Q = 1 + q0 t + ... + q4 t^5
};
constexpr GeluRational kGeluErfRational = {
    31.3600006f, 0.102678575f, {0.296264147f, 0.00740640118f, 0.00172664951f, -2.94289237e-05f, -1.01529697e-06f, -9.72867093e-08f},
    {0.249433628f, 0.0281394984f, 0.00182864506f, 6.92091199e-05f, 1.16479847e-06f}};
constexpr GeluRational kGeluTanhRational = {
    30.25f, 0.0909090936f, {0.308033418f, 0.00731115155f, 0.00143812089f, 1.11217742e-05f, 4.94385671e-07f, -1.0134394e-07f},
    {0.240661416f, 0.0237498141f, 0.00125746645f, 7.44778608e-05f, 1.40824465e-06f}};

inline float32x4_t gelu4(float32x4_t x, const GeluRational& c) {
  const float32x4_t t = vminq_f32(vmulq_f32(x, x), vdupq_n_f32(c.t_max));
#if defined(__aarch64__)
  // FMLA overwrites its addend, so Horner's p_k + r t costs a copy of the constant p_k as well; sums
  // of powers times lanes (FMLA by element) need no copies: P / p5 and Q / p5 from t, t^2, t^3, t^4.
  const float s = 1.0f / c.p[5];
  const float32x4_t pc = {c.p[1] * s, c.p[2] * s, c.p[3] * s, c.p[4] * s};
  const float32x4_t qc = {c.q[0] * s, c.q[1] * s, c.q[2] * s, c.q[3] * s};
  const float32x4_t t2 = vmulq_f32(t, t), t3 = vmulq_f32(t2, t), t4 = vmulq_f32(t2, t2);
  float32x4_t p = vmulq_f32(t4, t);
  float32x4_t q = vmulq_n_f32(p, c.q[4] * s);
  p = vfmaq_laneq_f32(p, t4, pc, 3);
  p = vfmaq_laneq_f32(p, t3, pc, 2);
  p = vfmaq_laneq_f32(p, t2, pc, 1);
  p = vfmaq_laneq_f32(p, t, pc, 0);
  p = vaddq_f32(p, vdupq_n_f32(c.p[0] * s));
  q = vfmaq_laneq_f32(q, t4, qc, 3);
  q = vfmaq_laneq_f32(q, t3, qc, 2);
  q = vfmaq_laneq_f32(q, t2, qc, 1);
  q = vfmaq_laneq_f32(q, t, qc, 0);
  q = vaddq_f32(q, vdupq_n_f32(s));
#else
  float32x4_t p = vdupq_n_f32(c.p[5]);
  for (int k = 4; k >= 0; --k) p = vfmaq_f32(vdupq_n_f32(c.p[k]), p, t);
  float32x4_t q = vdupq_n_f32(c.q[4]);
  for (int k = 3; k >= 0; --k) q = vfmaq_f32(vdupq_n_f32(c.q[k]), q, t);
  q = vfmaq_f32(vdupq_n_f32(1.0f), q, t);
#endif
  float32x4_t e = vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(c.k0));
  e = vfmaq_f32(e, x, div4_approx(p, q));
  e = vminq_f32(vmaxq_f32(e, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
  return vmulq_f32(x, e);
}

// tanh(x) = x P(t) / Q(t) clamped to [-1, 1], t = min(x^2, 81), P and Q of degree 4 fitted by
// scripts/fit_gelu.py on [0, 9] (tanh is 1 in float from 9.01 on), pinned to tanh(9) = 1. Beyond 9, x
// P(81) / Q(81) = x / 9 leaves [-1, 1], so large |x| (and infinities) give exactly +-1, and the clamp
// also stops rounding from going past 1 just below 9. Odd: -x gives exactly -y, and -0 gives -0. Max
// |y - tanh x| / (1 + |tanh x|) over [-12, 12] against double: 1.3e-7 (aarch64), 1.7e-7 (armv7).
inline float32x4_t tanh4(float32x4_t x) {
  constexpr float p[5] = {0.999999914f, 0.133688478f, 0.00348164286f, 2.040205e-05f, 1.31128033e-08f};
  constexpr float q[4] = {0.46702143f, 0.0258225703f, 0.000326377587f, 7.66792886e-07f};
  const float32x4_t t = vminq_f32(vmulq_f32(x, x), vdupq_n_f32(81.0f));
  float32x4_t pt = vdupq_n_f32(p[4]);
  for (int k = 3; k >= 0; --k) pt = vfmaq_f32(vdupq_n_f32(p[k]), pt, t);
  float32x4_t qt = vdupq_n_f32(q[3]);
  for (int k = 2; k >= 0; --k) qt = vfmaq_f32(vdupq_n_f32(q[k]), qt, t);
  qt = vfmaq_f32(vdupq_n_f32(1.0f), qt, t);
  const float32x4_t y = div4_approx(vmulq_f32(x, pt), qt);
  return vminq_f32(vmaxq_f32(y, vdupq_n_f32(-1.0f)), vdupq_n_f32(1.0f));
}

// SiLU, x sigmoid(x), as the reference computes it: x / (1 + e) for x >= 0 and x e / (1 + e) below,
// e = exp(-|x|) in [0, 1], so nothing overflows or cancels and the error stays that of exp (a sigmoid
// from tanh4, 0.5 + 0.5 tanh(x / 2), would lose the small values below 0 to cancellation). Where e is
// 0 (x < -87.3) the result is -0; the multiplier is floored at -100 so that -inf gives -0 too (not
// -inf * 0). NEON's max returns NaN for a NaN, so NaN stays NaN. Signs are taken from the sign bit,
// not compared (armv7, above).
inline float32x4_t silu4(float32x4_t x) {
  const uint32x4_t sign = vdupq_n_u32(0x80000000u);
  const uint32x4_t negative = vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31));
  const float32x4_t one = vdupq_n_f32(1.0f);
  const float32x4_t e = exp4(vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(x), sign)));  // exp(-|x|)
  const float32x4_t num = vbslq_f32(negative, e, one);
  const float32x4_t xf = vmaxq_f32(x, vdupq_n_f32(-100.0f));
  return div4_approx(vmulq_f32(xf, num), vaddq_f32(one, e));
}

// epilogue(v) for every Epilogue, shared by the activation kernel and the GEMM epilogues.
inline float32x4_t activate4(float32x4_t v, Epilogue epilogue) {
  switch (epilogue) {
    case Epilogue::kGeluErf: return gelu4(v, kGeluErfRational);
    case Epilogue::kGeluTanh: return gelu4(v, kGeluTanhRational);
    case Epilogue::kTanh: return tanh4(v);
    case Epilogue::kRelu: return vmaxq_f32(v, vdupq_n_f32(0.0f));
    case Epilogue::kSilu: return silu4(v);
    default: return v;
  }
}

}  // namespace
}  // namespace tern
