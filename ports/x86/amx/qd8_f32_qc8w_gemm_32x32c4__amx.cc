// int8 GEMM with AMX (Sapphire Rapids and later): TDPBSSD multiplies signed bytes by signed bytes,
// so unlike the VNNI kernels no +128 offset and no column-sum correction are needed. Exact: int32
// sums of K products of |a|, |w| <= 127 cannot overflow for K below 2^17.
//
// Every tile is configured as 16 rows x 64 bytes: an A tile is 16 rows of 64 K values (row stride
// lda), a B tile is 16 K groups of the N16K4 weight block (16 channels x 4 K values = 64 bytes per
// group, contiguous in the blob, so read in place with stride 64), a C tile 16 rows x 16 int32.
// Tile 2 x 2: C tiles 0-3 hold 32 rows x 32 channels, A tiles 4-5, B tiles 6-7. A K tail (K not a
// multiple of 64) goes through zero-padded copies. Rows past the last full 16 (and calls with M < 16,
// decoder steps) run the avx512vnni kernel: a tile pays for 16 rows.
//
// The tile configuration is loaded on entry and released on return, each call: another library in
// the same thread may use AMX with its own configuration between our calls, and a released tile
// state keeps the core's idle states and the kernel's context switches cheap.
#include <immintrin.h>

#include "amx_tiles.h"
#include "kernels/kernels.h"
#include "../avx512vnni/vector_math.h"

#if defined(TERN_AMX_EMULATE)  // the test's build of this file, with software tiles (amx_tiles.h)
#define qd8_f32_qc8w_gemm_32x32c4__amx qd8_f32_qc8w_gemm_32x32c4__amx_emulated
#endif

namespace tern {
namespace {

constexpr size_t kTileK = 64;  // K values per A tile row (16 K groups of 4)

struct Args {
  size_t kfull, ktail, lda, block_stride, ldc;
  const int8_t* A;                   // the first of this block's rows
  const int8_t* W;                   // the first 16-channel block
  const float *a_scale, *w_scale, *bias;
  float* C;
  size_t columns;  // valid output channels from this block's first
  Epilogue epilogue;
  // The K tail, zero-padded to 64 K values: A rows of two row tiles, B groups of two blocks.
  alignas(64) int8_t a_tail[2][16][64];
  alignas(64) int8_t w_tail[2][16][64];
};

void configure_tiles() {
  AmxTileConfig config;
  __builtin_memset(&config, 0, sizeof(config));
  config.palette_id = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.colsb[t] = 64;
  }
  TERN_TILE_CONFIGURE(&config);
}

// C[16 rows, 16 channels] (int32, row stride 16) -> epilogue(sum * a_scale * w_scale + bias).
void store_tile(const Args& t, const int32_t (*sums)[16], size_t row0, size_t channel0) {
  if (channel0 >= t.columns) return;
  const __mmask16 mask = first_lanes(t.columns - channel0);
  const __m512 ws = _mm512_maskz_loadu_ps(mask, t.w_scale + channel0);
  const __m512 b = t.bias ? _mm512_maskz_loadu_ps(mask, t.bias + channel0) : _mm512_setzero_ps();
  for (size_t r = 0; r < 16; ++r) {
    const __m512 sum = _mm512_cvtepi32_ps(_mm512_load_si512(sums[r]));
    const __m512 y = _mm512_fmadd_ps(sum, _mm512_mul_ps(ws, _mm512_set1_ps(t.a_scale[row0 + r])), b);
    _mm512_mask_storeu_ps(t.C + (row0 + r) * t.ldc + channel0, mask, activate512(y, t.epilogue));
  }
}

// MT row tiles (16 rows each) x NT channel tiles (16 channels each), MT, NT in {1, 2}.
template <int MT, int NT>
void block(Args& t) {
  TERN_TILE_ZERO(0);
  if (NT > 1) TERN_TILE_ZERO(1);
  if (MT > 1) TERN_TILE_ZERO(2);
  if (MT > 1 && NT > 1) TERN_TILE_ZERO(3);
  const int8_t* a = t.A;
  const int8_t* w = t.W;
  for (size_t k = 0; k < t.kfull; k += kTileK) {
    TERN_TILE_LOAD(4, a + k, t.lda);
    if (MT > 1) TERN_TILE_LOAD(5, a + 16 * t.lda + k, t.lda);
    TERN_TILE_LOAD(6, w + k * 16, 64);  // K group k / 4 of the block starts at byte (k / 4) * 64
    if (NT > 1) TERN_TILE_LOAD(7, w + t.block_stride + k * 16, 64);
    TERN_TILE_DPBSSD(0, 4, 6);
    if (NT > 1) TERN_TILE_DPBSSD(1, 4, 7);
    if (MT > 1) TERN_TILE_DPBSSD(2, 5, 6);
    if (MT > 1 && NT > 1) TERN_TILE_DPBSSD(3, 5, 7);
  }
  if (t.ktail) {
    for (int i = 0; i < MT; ++i)
      for (size_t r = 0; r < 16; ++r) {
        __builtin_memset(t.a_tail[i][r], 0, 64);
        __builtin_memcpy(t.a_tail[i][r], a + (16 * i + r) * t.lda + t.kfull, t.ktail);
      }
    TERN_TILE_LOAD(4, t.a_tail[0], 64);
    if (MT > 1) TERN_TILE_LOAD(5, t.a_tail[1], 64);
    TERN_TILE_LOAD(6, t.w_tail[0], 64);
    if (NT > 1) TERN_TILE_LOAD(7, t.w_tail[1], 64);
    TERN_TILE_DPBSSD(0, 4, 6);
    if (NT > 1) TERN_TILE_DPBSSD(1, 4, 7);
    if (MT > 1) TERN_TILE_DPBSSD(2, 5, 6);
    if (MT > 1 && NT > 1) TERN_TILE_DPBSSD(3, 5, 7);
  }
  alignas(64) int32_t sums[16][16];
  TERN_TILE_STORE(0, sums, 64);
  store_tile(t, sums, 0, 0);
  if (NT > 1) {
    TERN_TILE_STORE(1, sums, 64);
    store_tile(t, sums, 0, 16);
  }
  if (MT > 1) {
    TERN_TILE_STORE(2, sums, 64);
    store_tile(t, sums, 16, 0);
  }
  if (MT > 1 && NT > 1) {
    TERN_TILE_STORE(3, sums, 64);
    store_tile(t, sums, 16, 16);
  }
}

// The K tail's weight groups of `blocks` 16-channel blocks, zero-padded to 16 groups.
void copy_weight_tail(Args& t, int blocks) {
  for (int i = 0; i < blocks; ++i) {
    __builtin_memset(t.w_tail[i], 0, sizeof(t.w_tail[i]));
    __builtin_memcpy(t.w_tail[i], t.W + i * t.block_stride + t.kfull * 16, t.ktail * 16);
  }
}

}  // namespace

void qd8_f32_qc8w_gemm_32x32c4__amx(size_t M, size_t N, size_t K, const int8_t* A, size_t lda, const float* a_scale,
                                    const int8_t* W, const float* w_scale, const int32_t* col_sums, const float* bias,
                                    float* C, size_t ldc, Epilogue epilogue) {
  const size_t tiled_rows = M / 16 * 16;
  if (tiled_rows < M)
    qd8_f32_qc8w_gemm_4x64c4__avx512vnni(M - tiled_rows, N, K, A + tiled_rows * lda, lda, a_scale + tiled_rows, W,
                                         w_scale, col_sums, bias, C + tiled_rows * ldc, ldc, epilogue);
  if (tiled_rows == 0) return;
  Args t;
  const size_t kp = (K + 3) / 4 * 4;
  t.kfull = kp / kTileK * kTileK;
  t.ktail = kp - t.kfull;
  t.lda = lda;
  t.block_stride = kp * 16;
  t.ldc = ldc;
  t.epilogue = epilogue;
  configure_tiles();
  for (size_t n0 = 0; n0 < N; n0 += 32) {
    const bool two_blocks = N - n0 > 16;
    t.columns = N - n0;
    t.W = W + (n0 / 16) * t.block_stride;
    t.w_scale = w_scale + n0;
    t.bias = bias ? bias + n0 : nullptr;
    if (t.ktail) copy_weight_tail(t, two_blocks ? 2 : 1);
    for (size_t m0 = 0; m0 < tiled_rows; m0 += 32) {
      t.A = A + m0 * lda;
      t.a_scale = a_scale + m0;
      t.C = C + m0 * ldc + n0;
      const bool two_row_tiles = tiled_rows - m0 > 16;
      if (two_row_tiles) two_blocks ? block<2, 2>(t) : block<2, 1>(t);
      else two_blocks ? block<1, 2>(t) : block<1, 1>(t);
    }
  }
  TERN_TILE_RELEASE();
}

#if defined(TERN_AMX_EMULATE)
int amx_emulation_faults() { return emulated_tiles.faults; }
#endif

}  // namespace tern
