// GELU (exact erf and tanh-approx), tanh and ReLU on float rows, 16 at a time.
#include <immintrin.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_activation__avx512f(float* x, size_t n, Epilogue epilogue) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 y;
    switch (epilogue) {
      case Epilogue::kGeluErf:
        y = _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf512(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)))));
        break;
      case Epilogue::kGeluTanh: {
        const __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                                           _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), _mm512_mul_ps(v, v), v));
        y = _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, tanh512(inner)));
        break;
      }
      case Epilogue::kTanh: y = tanh512(v); break;
      case Epilogue::kRelu: y = _mm512_max_ps(v, _mm512_setzero_ps()); break;
      default: y = v; break;
    }
    _mm512_mask_storeu_ps(x + i, m, y);
  }
}

}  // namespace tern
