// exp, erf, tanh and SiLU on 8 floats, for the AVX2 kernels in this folder only (internal linkage: every
// file that includes this is compiled with the same -mavx2 -mfma -mf16c flags).
#pragma once

#include <immintrin.h>

#include "kernels/kernels.h"

namespace tern {
namespace {

// exp(x) as in ../avx512vnni/vector_math.h: Cephes polynomial, 2^n built in the exponent bits;
// exact 0 below -87.3.
inline __m256 exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365478515625f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(88.3762626647949f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n for n in [-126, 127]; at n = 128 (x near the top) split the factor in two.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i half = _mm256_srai_epi32(ni, 1);
  const __m256 a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
  const __m256 b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(_mm256_mul_ps(p, a), b));
}

// Scalars without <cmath>: a port object must not carry weak copies of std:: functions.
inline float sqrt_ss(float x) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x))); }
inline float max256(__m256 v) {  // the largest lane
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

inline __m256 abs256(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
inline __m256 copysign256(__m256 magnitude, __m256 sign) {
  return _mm256_or_ps(magnitude, _mm256_and_ps(sign, _mm256_set1_ps(-0.0f)));
}

inline __m256 tanh256(__m256 x) {
  const __m256 ax = abs256(x);
  const __m256 e = exp256(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  __m256 t = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), e), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 small = _mm256_fmadd_ps(x2, _mm256_set1_ps(2.0f / 15.0f), _mm256_set1_ps(-1.0f / 3.0f));
  small = _mm256_fmadd_ps(_mm256_mul_ps(small, x2), ax, ax);
  t = _mm256_blendv_ps(t, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.0625f), _CMP_LT_OQ));
  return copysign256(t, x);
}

inline __m256 erf256(__m256 x) {
  const __m256 ax = abs256(x);
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(ax, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  __m256 y = _mm256_fnmadd_ps(p, exp256(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), ax), ax)), _mm256_set1_ps(1.0f));
  const __m256 x2 = _mm256_mul_ps(ax, ax);
  __m256 s = _mm256_fmadd_ps(x2, _mm256_set1_ps(-1.0f / 42.0f), _mm256_set1_ps(1.0f / 10.0f));
  s = _mm256_fmadd_ps(s, x2, _mm256_set1_ps(-1.0f / 3.0f));
  s = _mm256_fmadd_ps(s, x2, _mm256_set1_ps(1.0f));
  s = _mm256_mul_ps(_mm256_mul_ps(s, ax), _mm256_set1_ps(1.1283791670955126f));
  y = _mm256_blendv_ps(y, s, _mm256_cmp_ps(ax, _mm256_set1_ps(0.25f), _CMP_LT_OQ));
  return copysign256(y, x);
}

// SiLU, x sigmoid(x), as the reference computes it: x / (1 + e) for x >= 0 and x e / (1 + e) below,
// e = exp(-|x|) in [0, 1], so nothing overflows or cancels and the error stays that of exp. Where e
// is 0 (x < -87.3) the result is -0; the multiplier is floored at -100 so that -inf gives -0 too (not
// -inf * 0). NaN: exp256 maps it to a number, and max keeps its second operand, the NaN.
inline __m256 silu256(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));  // exp(-|x|)
  const __m256 num = _mm256_blendv_ps(one, e, x);                    // e where x's sign bit is set
  const __m256 xf = _mm256_max_ps(_mm256_set1_ps(-100.0f), x);
  return _mm256_div_ps(_mm256_mul_ps(xf, num), _mm256_add_ps(one, e));
}

// epilogue(v) for every Epilogue, shared by the activation kernel and the GEMM epilogue.
inline __m256 activate256(__m256 v, Epilogue epilogue) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  switch (epilogue) {
    case Epilogue::kGeluErf:
      return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf256(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)))));
    case Epilogue::kGeluTanh: {
      const __m256 inner = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                                         _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), _mm256_mul_ps(v, v), v));
      return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, tanh256(inner)));
    }
    case Epilogue::kTanh: return tanh256(v);
    case Epilogue::kRelu: return _mm256_max_ps(v, _mm256_setzero_ps());
    case Epilogue::kSilu: return silu256(v);
    default: return v;
  }
}

// Lanes i < n of an int mask for _mm256_maskload/maskstore_ps.
inline __m256i first_lanes(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace
}  // namespace tern
