// exp, erf, tanh and SiLU on 16 floats, for the AVX-512 kernels in this folder only (internal linkage:
// every file that includes this is compiled with the same AVX-512 flags).
#pragma once

#include <immintrin.h>

#include "kernels/kernels.h"

namespace tern {
namespace {

// exp(x): n = round(x / ln2), r = x - n ln2 (two-part ln2), Cephes expf polynomial on r, times
// 2^n. Relative error ~1e-7. Below -87.3 the result is 0 (masked attention scores must vanish).
inline __m512 exp512(__m512 x) {
  const __m512 hi = _mm512_set1_ps(88.3762626647949f), lo = _mm512_set1_ps(-87.3365478515625f);
  const __mmask16 underflow = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_scalef_ps(__mmask16(~underflow), p, n);
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|): no cancellation for large |x|; for small
// |x| an odd polynomial keeps the relative error small.
inline __m512 tanh512(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 e = exp512(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  __m512 t = _mm512_div_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), e), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  // |x| < 0.0625: x - x^3/3 + 2x^5/15
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 small = _mm512_fmadd_ps(x2, _mm512_set1_ps(2.0f / 15.0f), _mm512_set1_ps(-1.0f / 3.0f));
  small = _mm512_fmadd_ps(_mm512_mul_ps(small, x2), ax, ax);
  t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.0625f), _CMP_LT_OQ), t, small);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t),
                                             _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(int32_t(0x80000000u)))));
}

// erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), with a Taylor series near 0 where
// the relative error of 7.1.26 would grow.
inline __m512 erf512(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(ax, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
  __m512 p = _mm512_set1_ps(1.061405429f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
  p = _mm512_mul_ps(p, t);
  __m512 y = _mm512_fnmadd_ps(p, exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), ax), ax)), _mm512_set1_ps(1.0f));
  // |x| < 0.25: 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42)
  const __m512 x2 = _mm512_mul_ps(ax, ax);
  __m512 s = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.0f / 42.0f), _mm512_set1_ps(1.0f / 10.0f));
  s = _mm512_fmadd_ps(s, x2, _mm512_set1_ps(-1.0f / 3.0f));
  s = _mm512_fmadd_ps(s, x2, _mm512_set1_ps(1.0f));
  s = _mm512_mul_ps(_mm512_mul_ps(s, ax), _mm512_set1_ps(1.1283791670955126f));
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.25f), _CMP_LT_OQ), y, s);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y),
                                             _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(int32_t(0x80000000u)))));
}

// SiLU as silu256 in ../avx2/vector_math.h computes it: (x >= 0 ? x : x e) / (1 + e), e = exp(-|x|),
// the multiplier floored at -100 so that -inf gives -0; max keeps its second operand, a NaN x.
inline __m512 silu512(__m512 x) {
  const __m512i sign = _mm512_set1_epi32(int32_t(0x80000000u));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp512(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), sign)));  // exp(-|x|)
  const __m512 num = _mm512_mask_blend_ps(_mm512_test_epi32_mask(_mm512_castps_si512(x), sign), one, e);
  const __m512 xf = _mm512_max_ps(_mm512_set1_ps(-100.0f), x);
  return _mm512_div_ps(_mm512_mul_ps(xf, num), _mm512_add_ps(one, e));
}

// A scalar square root without <cmath>: a port object must not carry weak copies of std:: functions.
inline float sqrt_ss(float x) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x))); }

// Lanes i < n of a 16-lane mask (all of them when n >= 16): masked loads and stores of row tails.
inline __mmask16 first_lanes(size_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

// epilogue(v) for every Epilogue, shared by the activation kernel and the GEMM epilogues.
inline __m512 activate512(__m512 v, Epilogue epilogue) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  switch (epilogue) {
    case Epilogue::kGeluErf:
      return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf512(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)))));
    case Epilogue::kGeluTanh: {
      const __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                                         _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), _mm512_mul_ps(v, v), v));
      return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, tanh512(inner)));
    }
    case Epilogue::kTanh: return tanh512(v);
    case Epilogue::kRelu: return _mm512_max_ps(v, _mm512_setzero_ps());
    case Epilogue::kSilu: return silu512(v);
    default: return v;
  }
}

}  // namespace
}  // namespace tern
