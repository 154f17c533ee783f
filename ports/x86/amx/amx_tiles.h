// AMX tile operations for the amx tier's kernels: the hardware instructions, or (with
// TERN_AMX_EMULATE, for the test that runs the kernel on CPUs without AMX) a software model of them
// written from Intel's ISA reference (SDM vol. 2, LDTILECFG, TILELOADD, TDPBSSD, TILESTORED,
// TILEZERO, TILERELEASE). The model also records faults the hardware would raise or leave undefined
// (an unconfigured tile, rows or bytes beyond the configuration, mismatched tile shapes), which the
// test checks are zero. Tile numbers are immediates in the instructions, so these are macros.
#pragma once

#include "kernels/kernels.h"

namespace tern {

// The 64-byte operand of LDTILECFG, palette 1: per tile, its rows and bytes per row.
struct alignas(64) AmxTileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

#if !defined(TERN_AMX_EMULATE)

#define TERN_TILE_CONFIGURE(config) _tile_loadconfig(config)
#define TERN_TILE_LOAD(t, base, stride) _tile_loadd(t, base, stride)
#define TERN_TILE_DPBSSD(c, a, b) _tile_dpbssd(c, a, b)
#define TERN_TILE_STORE(t, base, stride) _tile_stored(t, base, stride)
#define TERN_TILE_ZERO(t) _tile_zero(t)
#define TERN_TILE_RELEASE() _tile_release()

#else

// Eight tiles of up to 16 rows x 64 bytes, the configuration, and a count of faults.
struct EmulatedTiles {
  bool configured;
  uint8_t rows[8];
  uint16_t colsb[8];
  int8_t data[8][16][64];
  int faults;
};
static EmulatedTiles emulated_tiles;  // one model per translation unit; the test is single-threaded

static inline void emulated_configure(const AmxTileConfig* c) {
  EmulatedTiles& s = emulated_tiles;
  s.configured = c->palette_id == 1;
  if (c->palette_id > 1 || c->start_row != 0) ++s.faults;  // #GP: palette 1 is the only one defined
  for (int t = 0; t < 8; ++t) {
    s.rows[t] = c->rows[t];
    s.colsb[t] = c->colsb[t];
    if (c->rows[t] > 16 || c->colsb[t] > 64 || (c->rows[t] == 0) != (c->colsb[t] == 0)) ++s.faults;
    for (int r = 0; r < 16; ++r)
      for (int b = 0; b < 64; ++b) s.data[t][r][b] = 0;  // LDTILECFG zeroes every tile
  }
}
static inline bool emulated_valid(int t) {
  const bool ok = emulated_tiles.configured && t >= 0 && t < 8 && emulated_tiles.rows[t] != 0;
  if (!ok) ++emulated_tiles.faults;  // #UD (unconfigured) or an invalid tile
  return ok;
}
// TILELOADD: rows x colsb bytes from base + row * stride; bytes past colsb and rows past rows are 0.
static inline void emulated_load(int t, const void* base, size_t stride) {
  if (!emulated_valid(t)) return;
  EmulatedTiles& s = emulated_tiles;
  for (int r = 0; r < 16; ++r)
    for (int b = 0; b < 64; ++b)
      s.data[t][r][b] = r < s.rows[t] && b < s.colsb[t] ? static_cast<const int8_t*>(base)[r * stride + b] : 0;
}
static inline void emulated_store(int t, void* base, size_t stride) {
  if (!emulated_valid(t)) return;
  EmulatedTiles& s = emulated_tiles;
  for (int r = 0; r < s.rows[t]; ++r)
    for (int b = 0; b < s.colsb[t]; ++b) static_cast<int8_t*>(base)[r * stride + b] = s.data[t][r][b];
}
static inline void emulated_zero(int t) {
  if (!emulated_valid(t)) return;
  for (int r = 0; r < 16; ++r)
    for (int b = 0; b < 64; ++b) emulated_tiles.data[t][r][b] = 0;
}
static inline int32_t emulated_dword(int t, int r, int n) {
  int32_t v;
  __builtin_memcpy(&v, &emulated_tiles.data[t][r][4 * n], 4);
  return v;
}
// TDPBSSD: C[m][n] += sum over k < colsb(a)/4 and i < 4 of a[m][4k+i] * b[k][4n+i], signed bytes,
// int32 wrapping, for m < rows(c) and n < colsb(c)/4. Shapes must agree: rows(a) = rows(c),
// colsb(a) = 4 rows(b), colsb(b) = colsb(c) (#UD otherwise), and the three tiles must differ.
static inline void emulated_dpbssd(int c, int a, int b) {
  if (!emulated_valid(c) || !emulated_valid(a) || !emulated_valid(b)) return;
  EmulatedTiles& s = emulated_tiles;
  if (s.rows[a] != s.rows[c] || s.colsb[a] != 4 * s.rows[b] || s.colsb[b] != s.colsb[c] || s.colsb[c] % 4 != 0 ||
      c == a || c == b || a == b) {
    ++s.faults;
    return;
  }
  for (int m = 0; m < s.rows[c]; ++m)
    for (int n = 0; n < s.colsb[c] / 4; ++n) {
      uint32_t acc = uint32_t(emulated_dword(c, m, n));
      for (int k = 0; k < s.colsb[a] / 4; ++k)
        for (int i = 0; i < 4; ++i) acc += uint32_t(int32_t(s.data[a][m][4 * k + i]) * int32_t(s.data[b][k][4 * n + i]));
      __builtin_memcpy(&s.data[c][m][4 * n], &acc, 4);
    }
}

#define TERN_TILE_CONFIGURE(config) emulated_configure(config)
#define TERN_TILE_LOAD(t, base, stride) emulated_load(t, base, stride)
#define TERN_TILE_DPBSSD(c, a, b) emulated_dpbssd(c, a, b)
#define TERN_TILE_STORE(t, base, stride) emulated_store(t, base, stride)
#define TERN_TILE_ZERO(t) emulated_zero(t)
#define TERN_TILE_RELEASE() (emulated_tiles.configured = false)

#endif

}  // namespace tern
