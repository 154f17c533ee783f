// int8 GEMM with AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes, so each broadcast
// group of 4 activations is offset by +128 (xor 0x80) and the converter's column sums take
// 128 * sum(w) back out. Exact: |a + 128| <= 255 and |w| <= 127, so int32 cannot overflow for any
// K below 2^16.
// Tile: MR <= 4 rows x NB <= 4 blocks of 16 output channels, K in groups of 4 (one dword
// broadcast). Bias, scales and the activation are applied before the tile is stored.
#include <immintrin.h>


#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// acc + a (u8) . w (s8). GCC 12 compiles _mm512_dpbusd_epi32 in a register-blocked loop into a
// copy of every accumulator around each vpdpbusd (the M=128 GEMMs ran at 66-73% of peak; with
// this asm, which ties the accumulator to its register, at 92-97%). Taking acc by value keeps the
// accumulator array free of address-taken elements, so it stays in registers.
inline __m512i dpbusd(__m512i acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w));
  return acc;
}

struct TileArgs {
  size_t kp, lda, block_stride, ldc, columns;  // columns: valid output channels from this tile's first
  const int8_t *A, *W;
  const float *a_scale, *w_scale, *bias;
  const int32_t* col_sums;
  float* C;
  Epilogue epilogue;
};

template <int MR, int NB>
void tile(const TileArgs& t) {
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  const size_t kp = t.kp, lda = t.lda, stride = t.block_stride;
  const int8_t* a = t.A;
  const int8_t* w = t.W;
  __m512i acc[MR][NB];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  for (size_t k = 0; k < kp; k += 4, w += 64) {
    __m512i wv[NB];
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_si512(w + j * stride);
    for (int r = 0; r < MR; ++r) {
      int32_t a4;
      __builtin_memcpy(&a4, a + r * lda + k, 4);
      const __m512i av = _mm512_xor_si512(_mm512_set1_epi32(a4), flip);
      for (int j = 0; j < NB; ++j) acc[r][j] = dpbusd(acc[r][j], av, wv[j]);
    }
  }
  // Through memory, so that the accumulators above are only ever indexed by constants.
  alignas(64) int32_t sums[MR][NB][16];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NB; ++j) _mm512_store_si512(sums[r][j], acc[r][j]);
  for (int j = 0; j < NB; ++j) {
    const __mmask16 mask = first_lanes(t.columns - size_t(j) * 16);
    const __m512i correction = _mm512_slli_epi32(_mm512_loadu_si512(t.col_sums + j * 16), 7);
    const __m512 ws = _mm512_maskz_loadu_ps(mask, t.w_scale + j * 16);
    const __m512 b = t.bias ? _mm512_maskz_loadu_ps(mask, t.bias + j * 16) : _mm512_setzero_ps();
    for (int r = 0; r < MR; ++r) {
      const __m512 sum = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_load_si512(sums[r][j]), correction));
      const __m512 y = _mm512_fmadd_ps(sum, _mm512_mul_ps(ws, _mm512_set1_ps(t.a_scale[r])), b);
      _mm512_mask_storeu_ps(t.C + r * t.ldc + j * 16, mask, activate512(y, t.epilogue));
    }
  }
}

using TileFn = void (*)(const TileArgs&);
constexpr TileFn kTiles[4][4] = {{tile<1, 1>, tile<1, 2>, tile<1, 3>, tile<1, 4>},
                                 {tile<2, 1>, tile<2, 2>, tile<2, 3>, tile<2, 4>},
                                 {tile<3, 1>, tile<3, 2>, tile<3, 3>, tile<3, 4>},
                                 {tile<4, 1>, tile<4, 2>, tile<4, 3>, tile<4, 4>}};

}  // namespace

void qd8_f32_qc8w_gemm_4x64c4__avx512vnni(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                          const float* a_scale, const int8_t* W, const float* w_scale,
                                          const int32_t* col_sums, const float* bias, float* C, size_t ldc,
                                          Epilogue epilogue) {
  TileArgs t{};
  t.kp = (K + 3) / 4 * 4;
  t.block_stride = t.kp * 16;
  t.lda = lda;
  t.ldc = ldc;
  t.epilogue = epilogue;
  for (size_t n0 = 0; n0 < N; n0 += 64) {
    t.columns = N - n0;
    const size_t nb = min_size(4, (t.columns + 15) / 16);
    t.W = W + (n0 / 16) * t.block_stride;
    t.w_scale = w_scale + n0;
    t.col_sums = col_sums + n0;
    t.bias = bias ? bias + n0 : nullptr;
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      t.A = A + m0 * lda;
      t.a_scale = a_scale + m0;
      t.C = C + m0 * ldc + n0;
      kTiles[min_size(4, M - m0) - 1][nb - 1](t);
    }
  }
}

}  // namespace tern
