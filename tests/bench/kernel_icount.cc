// Runs one kernel (by its name in kernels.inc) or one of XNNPACK's fully-connected operators REPS
// times on one shape, for instruction counting under qemu (scripts/bench/arm_kernels.sh): the count
// for 2R repetitions minus the count for R, divided by R * work, is instructions per unit of work
// (per multiply-accumulate for GEMMs, per element otherwise), with set-up left out.
//   tern_kernel_icount NAME M N K REPS        (element kernels: M rows of N; K unused)
//   tern_kernel_icount --list
// NAME may also be xnnpack_f32 or xnnpack_qs8 when built with XNNPACK (TERN_BENCH_XNNPACK).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

#if TERN_BENCH_XNNPACK
#include <xnnpack.h>
#endif

using namespace tern;

namespace {

struct Shape {
  size_t M, N, K;
};

std::mt19937 rng(1);

std::vector<int8_t> random_i8(size_t n) {
  std::uniform_int_distribution<int> d(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = int8_t(d(rng));
  return v;
}
std::vector<float> random_f32(size_t n) {
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// One function per kind: sets up operands of shape s and runs the kernel reps times.
void run(qgemm_kernel_type* fn, const Shape& s, int reps) {
  const size_t kp = (s.K + 3) / 4 * 4, np = (s.N + 15) / 16 * 16;
  auto a = random_i8(s.M * kp), w = random_i8(np * kp);
  std::vector<float> as(s.M, 0.01f), ws(np, 0.02f), bias(np, 0.1f), c(s.M * s.N);
  std::vector<int32_t> sums(np, 0);
  for (int r = 0; r < reps; ++r)
    fn(s.M, s.N, s.K, a.data(), kp, as.data(), w.data(), ws.data(), sums.data(), bias.data(), c.data(), s.N,
       Epilogue::kNone);
}
void run(fgemm_kernel_type* fn, const Shape& s, int reps) {
  auto a = random_f32(s.M * s.K), w = random_f32(s.N * s.K), bias = random_f32(s.N);
  std::vector<float> c(s.M * s.N);
  for (int r = 0; r < reps; ++r)
    fn(s.M, s.N, s.K, a.data(), s.K, w.data(), s.K, bias.data(), c.data(), s.N, Epilogue::kNone);
}
void run(hgemm_kernel_type* fn, const Shape& s, int reps) {
  auto a = random_f32(s.M * s.K), bias = random_f32(s.N);
  std::vector<uint16_t> w(s.N * s.K);
  for (auto& x : w) x = f32_to_f16(random_f32(1)[0]);
  std::vector<float> c(s.M * s.N);
  for (int r = 0; r < reps; ++r)
    fn(s.M, s.N, s.K, a.data(), s.K, w.data(), s.K, bias.data(), c.data(), s.N, Epilogue::kNone);
}
void run(gemm_nn_kernel_type* fn, const Shape& s, int reps) {
  auto a = random_f32(s.M * s.K), b = random_f32(s.K * s.N);
  std::vector<float> c(s.M * s.N);
  for (int r = 0; r < reps; ++r) fn(s.M, s.N, s.K, a.data(), s.K, b.data(), s.N, c.data(), s.N);
}
void run(quantize_rows_kernel_type* fn, const Shape& s, int reps) {
  const size_t np = (s.N + 3) / 4 * 4;
  auto x = random_f32(s.M * s.N);
  std::vector<int8_t> q(s.M * np);
  std::vector<float> scale(s.M);
  for (int r = 0; r < reps; ++r) fn(s.M, s.N, x.data(), s.N, q.data(), np, scale.data());
}
void run(softmax_kernel_type* fn, const Shape& s, int reps) {  // also log_softmax (same type)
  auto x = random_f32(s.M * s.N);
  for (int r = 0; r < reps; ++r)
    for (size_t m = 0; m < s.M; ++m) fn(x.data() + m * s.N, s.N);
}
void run(activation_kernel_type* fn, const Shape& s, int reps) {  // GELU (erf), the encoders' activation
  auto x = random_f32(s.M * s.N);
  for (int r = 0; r < reps; ++r) fn(x.data(), s.M * s.N, Epilogue::kGeluErf);
}
void run(layer_norm_kernel_type* fn, const Shape& s, int reps) {
  auto x = random_f32(s.M * s.N), res = random_f32(s.M * s.N), g = random_f32(s.N), b = random_f32(s.N);
  for (int r = 0; r < reps; ++r)
    for (size_t m = 0; m < s.M; ++m) fn(s.N, x.data() + m * s.N, res.data() + m * s.N, g.data(), b.data(), 1e-5f, x.data() + m * s.N);
}
void run(rms_norm_kernel_type* fn, const Shape& s, int reps) {
  auto x = random_f32(s.M * s.N), w = random_f32(s.N);
  for (int r = 0; r < reps; ++r)
    for (size_t m = 0; m < s.M; ++m) fn(s.N, x.data() + m * s.N, w.data(), 1e-6f, x.data() + m * s.N);
}

#if TERN_BENCH_XNNPACK
bool run_xnnpack(const char* name, const Shape& s, int reps) {
  if (xnn_initialize(nullptr) != xnn_status_success) return false;
  xnn_operator_t op = nullptr;
  if (std::strcmp(name, "xnnpack_f32") == 0) {
    auto a = random_f32(s.M * s.K), w = random_f32(s.N * s.K), bias = random_f32(s.N);
    std::vector<float> c(s.M * s.N);
    if (xnn_create_fully_connected_nc_f32(s.K, s.N, s.K, s.N, w.data(), bias.data(), -INFINITY, INFINITY, 0, &op) !=
            xnn_status_success ||
        xnn_setup_fully_connected_nc_f32(op, s.M, a.data(), c.data(), nullptr) != xnn_status_success)
      return false;
    for (int r = 0; r < reps; ++r) xnn_run_operator(op, nullptr);
  } else if (std::strcmp(name, "xnnpack_qs8") == 0) {  // per-tensor scales: XNNPACK's int8 FC of 2022
    auto a = random_i8(s.M * s.K), w = random_i8(s.N * s.K);
    std::vector<int32_t> bias(s.N, 0);
    std::vector<int8_t> c(s.M * s.N);
    if (xnn_create_fully_connected_nc_qs8(s.K, s.N, s.K, s.N, 0, 0.01f, 0.01f, w.data(), bias.data(), 0, 1.0f, -127,
                                          127, 0, &op) != xnn_status_success ||
        xnn_setup_fully_connected_nc_qs8(op, s.M, a.data(), c.data(), nullptr) != xnn_status_success)
      return false;
    for (int r = 0; r < reps; ++r) xnn_run_operator(op, nullptr);
  } else {
    return false;
  }
  xnn_delete_operator(op);
  return true;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) std::printf("%s %s %s\n", #kind, #name, isa_name(isa));
#include "kernels/kernels.inc"
#undef TERN_KERNEL
    return 0;
  }
  if (argc != 6) {
    std::fprintf(stderr, "usage: tern_kernel_icount NAME M N K REPS | --list\n");
    return 2;
  }
  const char* name = argv[1];
  const Shape s{std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10),
                std::strtoul(argv[4], nullptr, 10)};
  const int reps = std::atoi(argv[5]);
#define TERN_KERNEL(kind, kname, isa, mr, nr, kr)                                          \
  if (std::strcmp(name, #kname) == 0) {                                                    \
    if (!isa_supported(isa)) return std::fprintf(stderr, "this CPU lacks %s\n", #isa), 1; \
    run(&kname, s, reps);                                                                  \
    return 0;                                                                              \
  }
#include "kernels/kernels.inc"
#undef TERN_KERNEL
#if TERN_BENCH_XNNPACK
  if (run_xnnpack(name, s, reps)) return 0;
#endif
  std::fprintf(stderr, "unknown kernel '%s' (--list)\n", name);
  return 1;
}
