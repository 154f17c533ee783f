// XNNPACK's f32 fully-connected operator against tern's f32 GEMM kernel (the one --isa auto picks)
// on the shapes of float Linear layers, single thread: the measurement behind running every float
// Linear on XNNPACK (runtime/ops/xnnpack_linear.cc). Two parts:
//   1. one layer, M = 1..128: summed time, and at how many M each is faster;
//   2. M = 1..4 over many distinct layers in turn (more weights than the caches hold), as a decoder
//      step streams a model's weights: a single layer called again and again stays in cache, which
//      flatters whichever kernel reads its weights in the less prefetch-friendly order;
//   3. the same with F16 weights: tern's f16-weight kernel against XNNPACK on their f32 copy.
// Not part of the build. From a build directory `build` (TERN_WITH_XNNPACK=ON):
//   g++ -O2 -std=c++17 -Iruntime -Iruntime/include -Ibuild/generated scripts/bench/xnnpack_fc.cc \
//       build/libtern.a -lXNNPACK -lpthreadpool -lcpuinfo -lpthread -o /tmp/xnnpack_fc
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "kernels/kernels.h"

using namespace tern;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Layers {
  size_t N, K;
  std::vector<std::vector<float>> w;
  std::vector<xnn_operator_t> ops;
  std::vector<std::vector<uint16_t>> h;  // the same weights in f16
  std::vector<float> bias;
  Layers(size_t n, size_t k, size_t count)
      : N(n), K(k), w(count, std::vector<float>(n * k)), ops(count), h(count, std::vector<uint16_t>(n * k)), bias(n, 0.1f) {
    for (size_t l = 0; l < count; ++l) {
      for (size_t i = 0; i < w[l].size(); ++i) {
        w[l][i] = float((i + l) % 7) * 0.01f;
        h[l][i] = uint16_t(0x2000 + (i + l) % 7);
      }
      xnn_create_fully_connected_nc_f32(K, N, K, N, w[l].data(), bias.data(), -INFINITY, INFINITY, 0, &ops[l]);
    }
  }
  ~Layers() {
    for (xnn_operator_t op : ops) xnn_delete_operator(op);
  }
  // Median seconds of one pass over every layer, XNNPACK and tern interleaved so that both see the
  // same load on a shared machine.
  void time(const KernelTable& k, size_t M, int reps, double* xnn, double* tern, bool f16 = false) {
    std::vector<float> a(M * K + 16, 0.3f), c(M * N);
    std::vector<double> tx, tt;
    for (int r = 0; r < reps; ++r) {
      const double t0 = now();
      for (xnn_operator_t op : ops) {
        xnn_setup_fully_connected_nc_f32(op, M, a.data(), c.data(), nullptr);
        xnn_run_operator(op, nullptr);
      }
      const double t1 = now();
      for (size_t l = 0; l < w.size(); ++l) {
        if (f16) k.hgemm.fn(M, N, K, a.data(), K, h[l].data(), K, bias.data(), c.data(), N, Epilogue::kNone);
        else k.fgemm.fn(M, N, K, a.data(), K, w[l].data(), K, bias.data(), c.data(), N, Epilogue::kNone);
      }
      tx.push_back(t1 - t0);
      tt.push_back(now() - t1);
    }
    std::sort(tx.begin(), tx.end());
    std::sort(tt.begin(), tt.end());
    *xnn = tx[tx.size() / 2];
    *tern = tt[tt.size() / 2];
  }
};

}  // namespace

int main() {
  if (xnn_initialize(nullptr) != xnn_status_success) return 1;
  KernelTable k;
  if (!select_kernels(Isa::kAuto, &k).ok()) return 1;
  std::printf("tern's f32 kernel: %s\n", k.fgemm.name);
  struct { size_t N, K; } one[] = {{768, 768}, {3072, 768}, {768, 3072}};
  for (const auto& s : one) {
    Layers layer(s.N, s.K, 1);
    double sum_x = 0, sum_t = 0;
    int x_faster = 0;
    for (size_t M = 1; M <= 128; ++M) {
      double x, t;
      layer.time(k, M, 15, &x, &t);
      sum_x += x;
      sum_t += t;
      x_faster += x < t;
      if (M == 1 || M == 2 || M == 128)
        std::printf("  %zux%zu M=%zu: xnnpack %.1f, tern %.1f GFLOP/s\n", s.N, s.K, M, 2e-9 * M * s.N * s.K / x,
                    2e-9 * M * s.N * s.K / t);
    }
    std::printf("%zux%zu, M = 1..128 summed: xnnpack %.1f ms, tern %.1f ms; xnnpack faster at %d of 128 M\n", s.N,
                s.K, sum_x * 1e3, sum_t * 1e3, x_faster);
  }
  struct { size_t N, K, count; } many[] = {{768, 768, 32}, {512, 512, 64}, {2048, 512, 16}, {512, 2048, 16}};
  for (const auto& s : many) {
    Layers layers(s.N, s.K, s.count);
    for (size_t M = 1; M <= 4; ++M) {
      double x, t;
      layers.time(k, M, 21, &x, &t);
      const double gflop = 2e-9 * M * s.N * s.K * s.count;
      std::printf("%zu layers of %zux%zu (%.0f MB) in turn, M=%zu: xnnpack %.1f, tern %.1f GFLOP/s\n", s.count, s.N,
                  s.K, 4e-6 * s.N * s.K * s.count, M, gflop / x, gflop / t);
      layers.time(k, M, 21, &x, &t, true);
      std::printf("  f16 weights: xnnpack (on its f32 copy) %.1f, tern %s %.1f GFLOP/s\n", gflop / x, k.hgemm.name,
                  gflop / t);
    }
  }
}
