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
