// int8 GEMM with AVX-VNNI: the VEX-encoded 256-bit vpdpbusd of CPUs that have VNNI but not
// AVX-512 (Intel since Alder Lake). Same arithmetic as ../avx512vnni: activations offset by +128
// (xor 0x80) on the broadcast, 128 * column sums taken back out; exact for K below 2^16.
// Tile: MR <= 4 rows x one N16K4 block (16 channels = two ymm of 8), K in groups of 4. With 16
// ymm registers: 8 accumulators, 2 weight vectors, the broadcast and the xor constant.
#include <immintrin.h>


#include "../avx2/vector_math.h"
#include "kernels/kernels.h"

namespace tern {
namespace {

// acc + a (u8) . w (s8), in place in acc's register; as in ../avx512vnni, the intrinsic makes
// GCC 12 copy accumulators around every instruction.
inline __m256i dpbusd(__m256i acc, __m256i a, __m256i w) {
  asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "xm"(w));
  return acc;
}

// One row's accumulators: channels 0-7 and 8-15 of the block.
struct Row {
  __m256i lo, hi;
};

inline void dot_row(Row& acc, const int8_t* a, __m256i flip, __m256i w_lo, __m256i w_hi) {
  int32_t a4;
  __builtin_memcpy(&a4, a, 4);
  const __m256i av = _mm256_xor_si256(_mm256_set1_epi32(a4), flip);
  acc.lo = dpbusd(acc.lo, av, w_lo);
  acc.hi = dpbusd(acc.hi, av, w_hi);
}

template <int MR>
void tile(size_t kp, const int8_t* A, size_t lda, const int8_t* w, Row (&out)[4]) {
  const __m256i flip = _mm256_set1_epi8(int8_t(0x80));
  Row r0{}, r1{}, r2{}, r3{};
  for (size_t k = 0; k < kp; k += 4, w += 64) {
    // Lanes of the 64-byte group: channel c's 4 k values at 4c; channels 0-7 then 8-15.
    const __m256i w_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i w_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
    dot_row(r0, A + k, flip, w_lo, w_hi);
    if (MR > 1) dot_row(r1, A + lda + k, flip, w_lo, w_hi);
    if (MR > 2) dot_row(r2, A + 2 * lda + k, flip, w_lo, w_hi);
    if (MR > 3) dot_row(r3, A + 3 * lda + k, flip, w_lo, w_hi);
  }
  out[0] = r0;
  out[1] = r1;
  out[2] = r2;
  out[3] = r3;
}

}  // namespace

void qd8_f32_qc8w_gemm_4x16c4__avxvnni(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                       const float* a_scale, const int8_t* W, const float* w_scale,
                                       const int32_t* col_sums, const float* bias, float* C, size_t ldc,
                                       Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t n0 = 0; n0 < N; n0 += 16) {
    const size_t count = min_size(16, N - n0);
    const int8_t* w = W + (n0 / 16) * kp * 16;
    const __m256i masks[2] = {first_lanes(count), first_lanes(count > 8 ? count - 8 : 0)};
    __m256 ws[2], b[2];
    __m256i correction[2];
    for (int h = 0; h < 2; ++h) {
      ws[h] = _mm256_maskload_ps(w_scale + n0 + 8 * h, masks[h]);
      b[h] = bias ? _mm256_maskload_ps(bias + n0 + 8 * h, masks[h]) : _mm256_setzero_ps();
      correction[h] = _mm256_slli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_sums + n0 + 8 * h)), 7);
    }
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      const size_t mr = min_size(4, M - m0);
      Row acc[4];
      const int8_t* a = A + m0 * lda;
      switch (mr) {
        case 1: tile<1>(kp, a, lda, w, acc); break;
        case 2: tile<2>(kp, a, lda, w, acc); break;
        case 3: tile<3>(kp, a, lda, w, acc); break;
        default: tile<4>(kp, a, lda, w, acc); break;
      }
      for (size_t r = 0; r < mr; ++r) {
        const __m256 as = _mm256_set1_ps(a_scale[m0 + r]);
        const __m256i sums[2] = {acc[r].lo, acc[r].hi};
        for (int h = 0; h < 2; ++h) {
          const __m256 sum = _mm256_cvtepi32_ps(_mm256_sub_epi32(sums[h], correction[h]));
          const __m256 y = _mm256_fmadd_ps(sum, _mm256_mul_ps(ws[h], as), b[h]);
          _mm256_maskstore_ps(C + (m0 + r) * ldc + n0 + 8 * h, masks[h], activate256(y, epilogue));
        }
      }
    }
  }
}

}  // namespace tern
