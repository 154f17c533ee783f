// XNNPACK's f32 fully-connected operator on the shapes of tern's float Linear layers, single
// thread, median GFLOP/s: the measurement behind not linking XNNPACK (compare with the f32 rows
// of build/tests/tern_kernel_bench). Not part of the build. With Debian's libxnnpack-dev:
//   g++ -O2 scripts/bench/xnnpack_fc.cc -o /tmp/xnnpack_fc -lXNNPACK -lpthreadpool -lcpuinfo
#include <xnnpack.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>
int main() {
  if (xnn_initialize(nullptr) != xnn_status_success) return 1;
  // XNNPACK packs the weights into its own buffer at create time (a second copy of every layer).
  struct S { size_t M, N, K; } shapes[] = {{1, 768, 768}, {128, 768, 768}, {128, 3072, 768}, {128, 768, 3072}};
  for (auto s : shapes) {
    std::vector<float> w(s.N * s.K, 0.25f), a(s.M * s.K, 0.5f), c(s.M * s.N), b(s.N, 0.f);
    xnn_operator_t op;
    if (xnn_create_fully_connected_nc_f32(s.K, s.N, s.K, s.N, w.data(), b.data(), -INFINITY, INFINITY, 0, &op) != xnn_status_success) return 2;
    xnn_setup_fully_connected_nc_f32(op, s.M, a.data(), c.data(), nullptr);
    std::vector<double> t;
    for (int r = 0; r < 30; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      xnn_run_operator(op, nullptr);
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    printf("xnnpack f32 FC M=%zu N=%zu K=%zu: %.1f GFLOP/s\n", s.M, s.N, s.K, 2.0 * s.M * s.N * s.K / t[15] / 1e9);
    xnn_delete_operator(op);
  }
}
