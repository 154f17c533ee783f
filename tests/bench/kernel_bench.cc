// Kernel benchmark: GOP/s of every int8 GEMM kernel this CPU runs, on the shapes that matter
// (M = 1 for a decoder step, M = 128 for an encoder), next to this core's measured VNNI peak (and
// AMX peak, for the amx kernel, where the CPU and OS allow AMX).
// Median of repeated runs. Usage: tern_kernel_bench [--quick]
#include <algorithm>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

using namespace tern;

double vnni_peak_macs(size_t iterations);
double fma_peak_fmas(size_t iterations);
double amx_peak_macs(size_t iterations);
int read_stream(const void* data, size_t bytes);

namespace {

double seconds_of(const std::function<void()>& f, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <typename F>
void bench(const char*, F*, Isa, ...) {}  // kernels that are not int8 GEMMs

struct Shape { size_t M, N, K; };

void bench(const char* name, qgemm_kernel_type* fn, Isa isa, const Shape& s, const std::vector<int8_t>& a,
           const std::vector<int8_t>& w, const std::vector<float>& as, const std::vector<float>& ws,
           const std::vector<int32_t>& sums, const std::vector<float>& bias, std::vector<float>& c,
           bool quick, double peak) {
  if (!isa_supported(isa)) return;
  const size_t kp = (s.K + 3) / 4 * 4;
  auto run = [&] {
    fn(s.M, s.N, s.K, a.data(), kp, as.data(), w.data(), ws.data(), sums.data(), bias.data(), c.data(), s.N,
       Epilogue::kNone);
  };
  const double ops = 2.0 * double(s.M * s.N * s.K);
  const int reps = quick ? 3 : std::min(200, std::max(5, int(2e9 / ops)));
  const double seconds = seconds_of(run, reps), gops = ops / seconds / 1e9;
  std::printf("%-42s %6zu %6zu %6zu %10.1f %7.0f%%", name, s.M, s.N, s.K, gops, peak > 0 ? 100 * gops / peak : 0.0);
  if (s.M == 1) std::printf("  %5.1f GB/s of weights", double((s.N + 15) / 16 * 16 * kp) / seconds / 1e9);
  std::printf("\n");
}

// One core's sequential read bandwidth from a buffer of `bytes` (the M = 1 rows read their weights once).
void bench_stream(size_t bytes) {
  std::vector<int8_t> buffer(bytes + 64, 1);
  const void* data = buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64) % 64;
  volatile int sink = 0;
  const double s = seconds_of([&] { sink = sink + read_stream(data, bytes); }, 7);
  std::printf("read bandwidth, 1 core, %zu MiB buffer: %.1f GB/s\n", bytes >> 20, double(bytes) / s / 1e9);
}

// The float kernels: Linear layers kept in f32 (fgemm, weights [N, K]) and attention (gemm_nn).
template <typename F>
void bench_float(const char*, F*, Isa, ...) {}

void report(const char* name, const Shape& s, double seconds, double peak) {
  const double gflops = 2.0 * double(s.M * s.N * s.K) / seconds / 1e9;
  std::printf("%-42s %6zu %6zu %6zu %10.1f %7.0f%%\n", name, s.M, s.N, s.K, gflops, peak > 0 ? 100 * gflops / peak : 0.0);
}

int reps_for(const Shape& s, bool quick) { return quick ? 3 : std::min(200, std::max(5, int(1e9 / (2.0 * s.M * s.N * s.K)))); }

void bench_float(const char* name, fgemm_kernel_type* fn, Isa isa, const Shape& s, bool quick, double peak) {
  if (!isa_supported(isa) || isa == Isa::kRef) return;
  std::vector<float> a(s.M * s.K, 0.5f), w(s.N * s.K, 0.25f), c(s.M * s.N);
  auto run = [&] { fn(s.M, s.N, s.K, a.data(), s.K, w.data(), s.K, nullptr, c.data(), s.N, Epilogue::kNone); };
  report(name, s, seconds_of(run, reps_for(s, quick)), peak);
}

void bench_float(const char* name, gemm_nn_kernel_type* fn, Isa isa, const Shape& s, bool quick, double peak) {
  if (!isa_supported(isa) || isa == Isa::kRef) return;
  std::vector<float> a(s.M * s.K, 0.5f), b(s.K * s.N, 0.25f), c(s.M * s.N);
  auto run = [&] { fn(s.M, s.N, s.K, a.data(), s.K, b.data(), s.N, c.data(), s.N); };
  report(name, s, seconds_of(run, reps_for(s, quick)), peak);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  double peak = 0;
  if (isa_supported(Isa::kAvx512Vnni)) {
    const size_t iters = 20'000'000;
    double s = seconds_of([&] { vnni_peak_macs(iters); }, 5);
    peak = 2.0 * double(iters) * 16 * 64 / s / 1e9;
    std::printf("int8 peak (register-only vpdpbusd zmm loop, 1 core): %.0f GOP/s\n", peak);
  }
  double amx_peak = 0;
  if (isa_supported(Isa::kAmx)) {
    const size_t iters = 2'000'000;
    double s = seconds_of([&] { amx_peak_macs(iters); }, 5);
    amx_peak = 2.0 * double(iters) * 4 * 16 * 16 * 64 / s / 1e9;
    std::printf("int8 AMX peak (register-only tdpbssd loop on 4 tiles, 1 core): %.0f GOP/s\n", amx_peak);
  } else {
    std::printf("no AMX peak: amx %s\n", isa_refusal(Isa::kAmx));
  }
  if (isa_supported(Isa::kAvx512Vnni)) {
    bench_stream(size_t(16) << 20);    // the size of t5-small's lm_head in int8, re-read per step
    bench_stream(size_t(1024) << 20);  // past any cache: DRAM
  }
  const Shape shapes[] = {{1, 768, 768}, {1, 3072, 768}, {1, 32128, 512}, {1, 2048, 512},
                          {128, 2304, 768}, {128, 768, 768}, {128, 3072, 768}, {128, 768, 3072}, {32, 512, 512}};
  std::mt19937 rng(1);
  std::printf("%-42s %6s %6s %6s %10s %8s\n", "kernel", "M", "N", "K", "GOP/s", "of peak");
  for (const Shape& s : shapes) {
    const size_t kp = (s.K + 3) / 4 * 4, np = (s.N + 15) / 16 * 16;
    std::vector<int8_t> a(s.M * kp), w(np * kp);
    for (auto& v : a) v = int8_t(int(rng() % 255) - 127);
    for (auto& v : w) v = int8_t(int(rng() % 255) - 127);
    std::vector<float> as(s.M, 0.01f), ws(s.N, 0.01f), bias(s.N, 0.0f), c(s.M * s.N);
    std::vector<int32_t> sums(np, 0);
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) \
  bench(#name, &name, isa, s, a, w, as, ws, sums, bias, c, quick, isa == Isa::kAmx ? amx_peak : peak);
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  }
  double fpeak = 0;
  if (isa_supported(Isa::kAvx512Vnni)) {
    const size_t iters = 20'000'000;
    double s = seconds_of([&] { fma_peak_fmas(iters); }, 5);
    fpeak = 2.0 * double(iters) * 16 * 16 / s / 1e9;
    std::printf("\nf32 peak (register-only vfmadd231ps zmm loop, 1 core): %.0f GFLOP/s\n", fpeak);
  }
  // f32 Linear layers (--weights f32 / --keep-float), then attention's Q.K^T and P.V at seq 128.
  const Shape float_shapes[] = {{1, 768, 768}, {128, 768, 768}, {128, 3072, 768}, {128, 128, 64}, {128, 64, 128}};
  std::printf("%-42s %6s %6s %6s %10s %8s\n", "kernel", "M", "N", "K", "GFLOP/s", "of peak");
  for (const Shape& s : float_shapes) {
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) bench_float(#name, &name, isa, s, quick, fpeak);
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  }
  return 0;
}
