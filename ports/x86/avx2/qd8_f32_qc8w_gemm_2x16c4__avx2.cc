// int8 GEMM with AVX2 and no VNNI. vpmaddubsw would saturate its 16-bit pair sums (255 * 127 * 2 >
// 32767), so both operands are widened to 16 bits and multiplied with vpmaddwd, whose pair sums
// (at most 2 * 127 * 127) fit in 32 bits: exact. Each accumulator lane holds half of one channel's
// dot product (k pairs 0-1 or 2-3); the halves are added once per tile.
// Tile: 2 rows x 16 output channels (one N16K4 block), K in groups of 4.
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// One row's accumulators: quarter q holds channels 4q..4q+3 as pair sums. Named fields, because
// GCC 12 copied an accumulator array around every vpaddd (and spilled one) in this loop.
struct Row {
  __m256i q0, q1, q2, q3;
};

inline void madd_row(Row& acc, const int8_t* a, const __m256i (&w)[4]) {
  int32_t a4;
  __builtin_memcpy(&a4, a, 4);
  const __m256i av = _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(a4)));
  acc.q0 = _mm256_add_epi32(acc.q0, _mm256_madd_epi16(w[0], av));
  acc.q1 = _mm256_add_epi32(acc.q1, _mm256_madd_epi16(w[1], av));
  acc.q2 = _mm256_add_epi32(acc.q2, _mm256_madd_epi16(w[2], av));
  acc.q3 = _mm256_add_epi32(acc.q3, _mm256_madd_epi16(w[3], av));
}

// 16 channels x 4 k: quarter q holds channels 4q..4q+3, each as 4 int16.
inline void load_w(const int8_t* w, __m256i (&out)[4]) {
  for (int q = 0; q < 4; ++q) out[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16 * q)));
}

template <int MR>
void tile(size_t kp, const int8_t* A, size_t lda, const int8_t* w, Row (&acc)[2]) {
  Row r0{}, r1{};
  for (size_t k = 0; k < kp; k += 4, w += 64) {
    __m256i wq[4];
    load_w(w, wq);
    madd_row(r0, A + k, wq);
    if (MR > 1) madd_row(r1, A + lda + k, wq);
  }
  acc[0] = r0;
  acc[1] = r1;
}

// Pair sums of channels 0-3 and 4-7 -> 8 channel totals in order.
__m256i reduce(__m256i lo, __m256i hi) {
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xD8);
}

}  // namespace

void qd8_f32_qc8w_gemm_2x16c4__avx2(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                    const float* a_scale, const int8_t* W, const float* w_scale,
                                    const int32_t*, const float* bias, float* C, size_t ldc,
                                    Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  alignas(32) float ws[16], b[16];
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = min_size(16, N - n0);
    for (size_t i = 0; i < 16; ++i) ws[i] = i < count ? w_scale[n0 + i] : 0.0f, b[i] = bias && i < count ? bias[n0 + i] : 0.0f;
    const int8_t* w = W + (n0 / 16) * kp * 16;
    for (size_t m0 = 0; m0 < M; m0 += 2) {
      const int mr = int(min_size(2, M - m0));
      Row acc[2];
      if (mr == 2) tile<2>(kp, A + m0 * lda, lda, w, acc);
      else tile<1>(kp, A + m0 * lda, lda, w, acc);
      for (int r = 0; r < mr; ++r) {
        const __m256 as = _mm256_set1_ps(a_scale[m0 + size_t(r)]);
        for (size_t h = 0; h < 2; ++h) {
          const __m256 sum = _mm256_cvtepi32_ps(h == 0 ? reduce(acc[r].q0, acc[r].q1) : reduce(acc[r].q2, acc[r].q3));
          const __m256 y = _mm256_fmadd_ps(sum, _mm256_mul_ps(_mm256_load_ps(ws + 8 * h), as), _mm256_load_ps(b + 8 * h));
          _mm256_maskstore_ps(C + (m0 + size_t(r)) * ldc + n0 + 8 * h, first_lanes(count > 8 * h ? count - 8 * h : 0),
                              activate256(y, epilogue));
        }
      }
    }
  }
}

}  // namespace tern
