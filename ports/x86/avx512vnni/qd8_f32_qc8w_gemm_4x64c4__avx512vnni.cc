// int8 GEMM with AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes, so activations are
// offset by +128 (xor 0x80) and the converter's column sums take 128 * sum(w) back out. Exact:
// int32 accumulation cannot overflow for K < 2^16 * ... (|a+128| <= 255, |w| <= 127).
// Tile: 4 rows x 64 output channels (4 zmm of 16), K in groups of 4 (one dword broadcast).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/kernels.h"

namespace tern {
namespace {

constexpr size_t kChunk = 256;     // K bytes converted to unsigned at a time (4 rows: 1 KiB of stack)
constexpr size_t kPrefetch = 1024;  // bytes ahead in each weight stream (16 groups of 64)

template <int MR, int NB>
void tile(size_t kp, const int8_t* A, size_t lda, const int8_t* W, size_t block_stride, __m512i (&acc)[4][4]) {
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  alignas(64) uint8_t au[MR][kChunk];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  for (size_t k0 = 0; k0 < kp; k0 += kChunk) {
    const size_t len = std::min(kChunk, kp - k0);
    // a + 128 as unsigned bytes, once per chunk instead of once per broadcast.
    for (int r = 0; r < MR; ++r)
      for (size_t i = 0; i < len; i += 64) {
        const __mmask64 m = len - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (len - i)) - 1;
        const __m512i v = _mm512_maskz_loadu_epi8(m, A + r * lda + k0 + i);
        _mm512_store_si512(au[r] + i, _mm512_xor_si512(v, flip));
      }
    const int8_t* w = W + k0 * 16;
    for (size_t k = 0; k < len; k += 4) {
      __m512i wv[NB];
      for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_si512(w + j * block_stride + k * 16);
      // One row (a decoder step) streams weights from memory: keep more lines in flight.
      if (MR == 1)
        for (int j = 0; j < NB; ++j) _mm_prefetch(reinterpret_cast<const char*>(w + j * block_stride + k * 16 + kPrefetch), _MM_HINT_T0);
      for (int r = 0; r < MR; ++r) {
        int32_t a4;
        std::memcpy(&a4, au[r] + k, 4);
        const __m512i av = _mm512_set1_epi32(a4);
        for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
      }
    }
  }
}

}  // namespace

void qd8_f32_qc8w_gemm_4x64c4__avx512vnni(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                          const float* a_scale, const int8_t* W, const float* w_scale,
                                          const int32_t* col_sums, const float* bias, float* C, size_t ldc,
                                          Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4, block_stride = kp * 16;
  for (size_t n0 = 0; n0 < N; n0 += 64) {
    const int nb = int(std::min<size_t>(4, (N - n0 + 15) / 16));
    const int8_t* w = W + (n0 / 16) * block_stride;
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      const int mr = int(std::min<size_t>(4, M - m0));
      __m512i acc[4][4];
      const int8_t* a = A + m0 * lda;
      // Dispatch to a fully unrolled tile for the common full shapes, generic loops otherwise.
      if (mr == 4 && nb == 4) tile<4, 4>(kp, a, lda, w, block_stride, acc);
      else if (mr == 1 && nb == 4) tile<1, 4>(kp, a, lda, w, block_stride, acc);
      else if (mr == 4) {
        if (nb == 1) tile<4, 1>(kp, a, lda, w, block_stride, acc);
        else if (nb == 2) tile<4, 2>(kp, a, lda, w, block_stride, acc);
        else tile<4, 3>(kp, a, lda, w, block_stride, acc);
      } else {
        for (int r = 0; r < mr; ++r) {
          __m512i one[4][4];
          switch (nb) {
            case 1: tile<1, 1>(kp, a + r * lda, lda, w, block_stride, one); break;
            case 2: tile<1, 2>(kp, a + r * lda, lda, w, block_stride, one); break;
            case 3: tile<1, 3>(kp, a + r * lda, lda, w, block_stride, one); break;
            default: tile<1, 4>(kp, a + r * lda, lda, w, block_stride, one); break;
          }
          for (int j = 0; j < nb; ++j) acc[r][j] = one[0][j];
        }
      }
      for (int j = 0; j < nb; ++j) {
        const size_t n = n0 + size_t(j) * 16;
        const size_t count = std::min<size_t>(16, N - n);
        const __mmask16 mask = __mmask16((1u << count) - 1);
        const __m512i correction = _mm512_slli_epi32(_mm512_loadu_si512(col_sums + n), 7);
        const __m512 ws = _mm512_maskz_loadu_ps(mask, w_scale + n);
        const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + n) : _mm512_setzero_ps();
        for (int r = 0; r < mr; ++r) {
          const __m512 sum = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][j], correction));
          __m512 y = _mm512_fmadd_ps(sum, _mm512_mul_ps(ws, _mm512_set1_ps(a_scale[m0 + size_t(r)])), b);
          if (epilogue == Epilogue::kRelu) y = _mm512_max_ps(y, _mm512_setzero_ps());
          float* c = C + (m0 + size_t(r)) * ldc + n;
          _mm512_mask_storeu_ps(c, mask, y);
          if (epilogue != Epilogue::kNone && epilogue != Epilogue::kRelu)
            for (size_t i = 0; i < count; ++i) c[i] = apply_epilogue(c[i], epilogue);
        }
      }
    }
  }
}

}  // namespace tern
