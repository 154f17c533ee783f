// Driver for ../../../shared/tools/icount (instruction counts under qemu): runs one float kernel
// `reps` times on a fixed shape, so that count(2 reps) - count(1 rep) is the kernel's own cost.
// Links the kernels directly (no dispatch); build it statically for the symbol table, e.g.
//   aarch64-linux-gnu-g++ -std=c++17 -O2 -static -Iruntime -Iruntime/include tests/bench/float_icount.cc
//     runtime/kernels/ref.cc ports/arm/neon/*.cc -o float_icount
// Usage: float_icount OP IMPL REPS, OP one of gelu_erf gelu_tanh tanh relu copy softmax log_softmax
// layer_norm rms_norm quantize_rows gemm_nn fgemm hgemm; IMPL neon or ref. Shapes: rows of 768
// (the base model's d_model); GEMMs M = 32, N = K = 768. `copy` is the activations' per-rep
// restore of the input alone, to subtract from them.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"

using namespace tern;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s OP neon|ref REPS\n", argv[0]);
    return 2;
  }
  const std::string op = argv[1];
  const bool neon = std::string(argv[2]) == "neon";
  const int reps = std::atoi(argv[3]);
  const size_t D = 768, M = 32, N = 768, K = 768;
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 2.0f);
  std::vector<float> x0(M * K), x(M * K), y(M * K), r(D), gamma(D), beta(D), w(N * K), bias(N), c(M * N), b(K * N);
  std::vector<uint16_t> wh(N * K);
  std::vector<int8_t> q(M * K);
  std::vector<float> scale(M);
  for (auto* v : {&x0, &r, &gamma, &beta, &w, &bias, &b})
    for (auto& e : *v) e = g(rng);
  for (size_t i = 0; i < wh.size(); ++i) wh[i] = f32_to_f16(w[i]);
  x = x0;
  const struct {
    const char* name;
    Epilogue e;
  } acts[] = {{"gelu_erf", Epilogue::kGeluErf}, {"gelu_tanh", Epilogue::kGeluTanh}, {"tanh", Epilogue::kTanh},
              {"relu", Epilogue::kRelu}, {"copy", Epilogue::kNone}};
  for (int rep = 0; rep < reps; ++rep) {
    bool done = false;
    for (const auto& a : acts)
      if (op == a.name) {
        std::memcpy(x.data(), x0.data(), D * sizeof(float));  // same input every rep
        if (a.e != Epilogue::kNone) (neon ? f32_activation__neon : f32_activation__ref)(x.data(), D, a.e);
        done = true;
      }
    if (done) continue;
    if (op == "softmax") {
      std::memcpy(x.data(), x0.data(), D * sizeof(float));
      (neon ? f32_softmax__neon : f32_softmax__ref)(x.data(), D);
    } else if (op == "log_softmax") {
      std::memcpy(x.data(), x0.data(), D * sizeof(float));
      (neon ? f32_log_softmax__neon : f32_log_softmax__ref)(x.data(), D);
    } else if (op == "layer_norm") {
      (neon ? f32_layer_norm__neon : f32_layer_norm__ref)(D, x0.data(), r.data(), gamma.data(), beta.data(), 1e-5f, y.data());
    } else if (op == "rms_norm") {
      (neon ? f32_rms_norm__neon : f32_rms_norm__ref)(D, x0.data(), gamma.data(), 1e-6f, y.data());
    } else if (op == "quantize_rows") {
      (neon ? qd8_quantize_rows__neon : qd8_quantize_rows__ref)(1, K, x0.data(), K, q.data(), K, scale.data());
    } else if (op == "gemm_nn") {
      (neon ? f32_gemm_nn_4x8__neon : f32_gemm_nn_1x1__ref)(M, N, K, x0.data(), K, b.data(), N, c.data(), N);
    } else if (op == "fgemm") {
      (neon ? f32_gemm_8x4__neon : f32_gemm_1x1__ref)(M, N, K, x0.data(), K, w.data(), K, bias.data(), c.data(), N,
                                                      Epilogue::kNone);
    } else if (op == "hgemm") {
      (neon ? f32_f16w_gemm_8x4__neon : f32_f16w_gemm_1x1__ref)(M, N, K, x0.data(), K, wh.data(), K, bias.data(),
                                                               c.data(), N, Epilogue::kNone);
    } else {
      std::fprintf(stderr, "unknown op %s\n", op.c_str());
      return 2;
    }
  }
  std::printf("%s %s %d: %g %g\n", op.c_str(), argv[2], reps, double(c[0]), double(x[0] + y[0] + q[0]));
  return 0;
}
