// This CPU's int8 peak on one core: a register-only vpdpbusd loop (16 independent accumulator
// chains, so latency is hidden and throughput is what is measured; the final reduction keeps the
// loop alive). Compiled with VNNI flags; call only when the CPU has AVX-512 VNNI.
#include <immintrin.h>

#include <cstddef>

double vnni_peak_macs(size_t iterations) {
  __m512i acc[16];
  for (auto& a : acc) a = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(5);
  __asm__ volatile("" : "+v"(x), "+v"(y));  // unknown to the compiler: nothing folds
  for (size_t i = 0; i < iterations; ++i)
    for (auto& a : acc) a = _mm512_dpbusd_epi32(a, x, y);
  int sink = 0;
  for (auto& a : acc) sink += _mm512_reduce_add_epi32(a);
  __asm__ volatile("" ::"r"(sink));
  return double(iterations) * 16 * 64;  // multiply-adds done
}
