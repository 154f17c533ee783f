// GELU (exact erf and tanh-approx), tanh, ReLU and SiLU on float rows, 16 at a time.
#include <immintrin.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {

void f32_activation__avx512f(float* x, size_t n, Epilogue epilogue) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(x + i, m, activate512(_mm512_maskz_loadu_ps(m, x + i), epilogue));
  }
}

}  // namespace tern
