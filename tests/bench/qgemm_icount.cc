// Instruction-count driver for the int8 GEMM kernels under qemu (shared/tools/icount): runs one
// kernel `reps` times on random data. Instructions per multiply-accumulate =
// (count at reps = 2R - count at reps = R) / (R * M * N * K), which cancels start-up and packing.
// Link statically so icount sees the kernel's symbols. Usage: qgemm_icount KERNEL M N K REPS
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"

using namespace tern;

namespace {

struct Named {
  const char* name;
  QGemmFn fn;
};

// Every qgemm kernel in kernels.inc; the other kinds' lines are skipped by overload.
void add(std::vector<Named>& v, const char* name, QGemmFn fn) { v.push_back({name, fn}); }
template <typename F>
void add(std::vector<Named>&, const char*, F*) {}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Named> kernels;
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) add(kernels, #name, &name);
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  QGemmFn fn = nullptr;
  for (const Named& k : kernels)
    if (argc == 6 && std::strcmp(k.name, argv[1]) == 0) fn = k.fn;
  if (fn == nullptr) {
    std::fprintf(stderr, "usage: qgemm_icount KERNEL M N K REPS; kernels:\n");
    for (const Named& k : kernels) std::fprintf(stderr, "  %s\n", k.name);
    return 2;
  }
  const size_t M = std::strtoul(argv[2], nullptr, 10), N = std::strtoul(argv[3], nullptr, 10),
               K = std::strtoul(argv[4], nullptr, 10), reps = std::strtoul(argv[5], nullptr, 10);
  const size_t kp = (K + 3) / 4 * 4, np = (N + 15) / 16 * 16;
  uint32_t state = 1;  // a small LCG: std::mt19937 would dominate the count at start-up
  auto q = [&state] { return int((state = state * 1664525u + 1013904223u) >> 24) % 255 - 127; };
  std::vector<int8_t> a(M * kp, 0), w(np * kp);  // w: random bytes stand in for a packed N16K4 blob
  for (size_t m = 0; m < M; ++m)
    for (size_t k = 0; k < K; ++k) a[m * kp + k] = int8_t(q());
  for (auto& v : w) v = int8_t(q());
  std::vector<float> as(M, 0.01f), ws(N, 0.02f), bias(N, 0.5f), c(M * N);
  std::vector<int32_t> sums(np, 0);
  for (size_t r = 0; r < reps; ++r)
    fn(M, N, K, a.data(), kp, as.data(), w.data(), ws.data(), sums.data(), bias.data(), c.data(), N, Epilogue::kNone);
  double check = 0;
  for (float v : c) check += v;
  std::printf("%s M=%zu N=%zu K=%zu reps=%zu checksum=%g\n", argv[1], M, N, K, reps, check);
  return 0;
}
