// This CPU's int8 and f32 peaks on one core: register-only vpdpbusd and vfmadd231ps loops (16
// independent accumulator chains, so latency is hidden and throughput is what is measured; the
// final reduction keeps the loop alive). Compiled with AVX-512 VNNI flags; call only when the CPU
// has AVX-512 VNNI. The instructions are inline asm for the reason given in the VNNI GEMM kernel: with the intrinsic, GCC 12 adds
// register copies and stack stores to this very loop and the "peak" comes out ~10% low.
#include <immintrin.h>

#include <cstddef>

namespace {

inline __m512i dpbusd(__m512i acc, __m512i a, __m512i w) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
  return acc;
}

inline __m512 fmadd(__m512 acc, __m512 a, __m512 b) {
  asm("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}

}  // namespace

double vnni_peak_macs(size_t iterations) {
  __m512i acc[16];
  for (auto& a : acc) a = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(5);
  __asm__ volatile("" : "+v"(x), "+v"(y));  // unknown to the compiler: nothing folds
  for (size_t i = 0; i < iterations; ++i)
    for (int j = 0; j < 16; ++j) acc[j] = dpbusd(acc[j], x, y);
  int sink = 0;
  for (int j = 0; j < 16; ++j) sink += _mm512_reduce_add_epi32(acc[j]);
  __asm__ volatile("" ::"r"(sink));
  return double(iterations) * 16 * 64;  // multiply-adds done
}

double fma_peak_fmas(size_t iterations) {
  __m512 acc[16];
  for (auto& a : acc) a = _mm512_setzero_ps();
  __m512 x = _mm512_set1_ps(1e-3f), y = _mm512_set1_ps(1e-3f);
  __asm__ volatile("" : "+v"(x), "+v"(y));
  for (size_t i = 0; i < iterations; ++i)
    for (int j = 0; j < 16; ++j) acc[j] = fmadd(acc[j], x, y);
  float sink = 0;
  for (int j = 0; j < 16; ++j) sink += _mm512_reduce_add_ps(acc[j]);
  __asm__ volatile("" ::"x"(sink));
  return double(iterations) * 16 * 16;  // multiply-adds done
}

// AMX: TDPBSSD into tiles 0-3 from A tiles 4-5 and B tiles 6-7, loaded once: four independent
// accumulator chains (enough to cover the instruction's latency), 4 x 16 x 16 x 64 multiply-adds per
// iteration. Call only where isa_supported(Isa::kAmx) (the OS has granted this process tile state).
double amx_peak_macs(size_t iterations) {
  alignas(64) unsigned char config[64] = {};
  config[0] = 1;  // palette 1; every tile 16 rows x 64 bytes
  for (int t = 0; t < 8; ++t) config[16 + 2 * t] = 64, config[48 + t] = 16;
  _tile_loadconfig(config);
  alignas(64) signed char operand[16 * 64];
  for (int i = 0; i < 16 * 64; ++i) operand[i] = static_cast<signed char>(i % 7 - 3);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  for (size_t i = 0; i < iterations; ++i) {
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  alignas(64) int sums[16 * 16];
  _tile_stored(0, sums, 64);
  _tile_release();
  __asm__ volatile("" ::"m"(sums));
  return double(iterations) * 4 * 16 * 16 * 64;
}

// One core's sequential read of `bytes` (a multiple of 256) with 512-bit loads, as a decoder step
// reads its weights: the bandwidth the M = 1 GEMMs are measured against.
int read_stream(const void* data, size_t bytes) {
  const __m512i* p = static_cast<const __m512i*>(data);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes / 64; i += 4) {
    a0 = _mm512_add_epi32(a0, _mm512_load_si512(p + i));
    a1 = _mm512_add_epi32(a1, _mm512_load_si512(p + i + 1));
    a2 = _mm512_add_epi32(a2, _mm512_load_si512(p + i + 2));
    a3 = _mm512_add_epi32(a3, _mm512_load_si512(p + i + 3));
  }
  return _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
}
