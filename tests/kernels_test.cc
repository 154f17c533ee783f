// Every kernel in kernels.inc against a plain triple loop over unpacked weights, on awkward shapes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include "kernels/kernels.h"

using namespace tern;

#if TERN_TEST_AMX_EMULATED
namespace tern {  // tests/CMakeLists.txt's software-tile build of the AMX kernel
qgemm_kernel_type qd8_f32_qc8w_gemm_32x32c4__amx_emulated;
int amx_emulation_faults();
}  // namespace tern
#endif

namespace {

// A kernel's tile from kernels.inc: the shapes below are derived from it.
struct Tile {
  size_t mr, nr, kr;
};

// Sorted, distinct, positive sizes.
std::vector<size_t> sizes(std::vector<size_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  while (!v.empty() && v.front() == 0) v.erase(v.begin());
  return v;
}

// M = 1..MR+1 and a second tile row with a tail; N tails inside and past two NR tiles (and
// 16-channel blocks); K tails around the K group and long enough for K-blocked loops.
std::vector<size_t> rows_for(const Tile& t) {
  std::vector<size_t> v;
  for (size_t m = 1; m <= t.mr + 1; ++m) v.push_back(m);
  v.push_back(2 * t.mr + 1);
  v.push_back(17);
  return sizes(v);
}
std::vector<size_t> cols_for(const Tile& t) {
  return sizes({1, 3, 15, 16, 17, 33, t.nr - 1, t.nr, t.nr + 1, 2 * t.nr + 1, 2 * t.nr + 17});
}
std::vector<size_t> depths_for(const Tile& t) {
  return sizes({1, 3, 4, 5, 2 * t.kr + 1, 16 * t.kr - 1, 64, 67, 260});
}

// Packs row-major int8 [N, K] into N16K4 (the converter's layout), independently of the converter.
std::vector<int8_t> pack(const std::vector<int8_t>& w, size_t N, size_t K) {
  size_t np = (N + 15) / 16 * 16, kp = (K + 3) / 4 * 4;
  std::vector<int8_t> p(np * kp, 0);
  for (size_t n = 0; n < N; ++n)
    for (size_t k = 0; k < K; ++k) p[((n / 16) * (kp / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4] = w[n * K + k];
  return p;
}

constexpr Epilogue kEpilogues[] = {Epilogue::kNone, Epilogue::kGeluErf, Epilogue::kGeluTanh, Epilogue::kTanh,
                                   Epilogue::kRelu, Epilogue::kSilu};
constexpr size_t kNumEpilogues = std::size(kEpilogues);

// epilogue(v) in double, from the definitions (PyTorch's): what the kernels are measured against.
double exact_epilogue(double v, Epilogue e) {
  const double c = 0.7978845608028654;  // sqrt(2 / pi)
  switch (e) {
    case Epilogue::kNone: return v;
    case Epilogue::kGeluErf: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case Epilogue::kGeluTanh: return 0.5 * v * (1 + std::tanh(c * (v + 0.044715 * v * v * v)));
    case Epilogue::kTanh: return std::tanh(v);
    case Epilogue::kRelu: return std::max(v, 0.0);
    case Epilogue::kSilu: return v / (1 + std::exp(-v));
  }
  return v;
}

void check_qgemm(const char* name, QGemmFn fn, const Tile& tile) {
  std::mt19937 rng(7);
  bool seen[kNumEpilogues] = {};
  std::uniform_int_distribution<int> q(-127, 127);
  for (size_t M : rows_for(tile))
    for (size_t N : cols_for(tile))
      for (size_t K : depths_for(tile)) {
        const size_t kp = (K + 3) / 4 * 4;
        std::vector<int8_t> a(M * kp, 0), w(N * K);
        std::vector<float> as(M), ws(N), bias(N), c(M * N + 16, 42.0f), ref(M * N);  // + a guard band
        for (size_t m = 0; m < M; ++m) {
          for (size_t k = 0; k < K; ++k) a[m * kp + k] = int8_t(q(rng));
          as[m] = 0.01f * float(m + 1);
        }
        // Extreme values in the first row/channel: saturating kernels would fail here.
        for (size_t k = 0; k < K; ++k) a[k] = 127;
        for (auto& v : w) v = int8_t(q(rng));
        for (size_t k = 0; k < K; ++k) w[k] = -127;
        for (size_t n = 0; n < N; ++n) ws[n] = 0.02f * float(n + 1), bias[n] = 0.5f - 0.1f * float(n);
        std::vector<int8_t> packed = pack(w, N, K);
        std::vector<int32_t> sums((N + 15) / 16 * 16, 0);
        for (size_t n = 0; n < N; ++n)
          for (size_t k = 0; k < K; ++k) sums[n] += w[n * K + k];
        // Every epilogue in turn across the shapes (each kernel applies it to the tiles it stores).
        const Epilogue e = kEpilogues[(M + N + K) % kNumEpilogues];
        seen[(M + N + K) % kNumEpilogues] = true;
        const bool with_bias = (M + K) % 3 != 0;  // T5's Linears have none
        fn(M, N, K, a.data(), kp, as.data(), packed.data(), ws.data(), sums.data(), with_bias ? bias.data() : nullptr,
           c.data(), N, e);
        for (size_t m = 0; m < M; ++m)
          for (size_t n = 0; n < N; ++n) {
            int32_t acc = 0;
            for (size_t k = 0; k < K; ++k) acc += int32_t(a[m * kp + k]) * w[n * K + k];
            float expect = apply_epilogue(float(acc) * as[m] * ws[n] + (with_bias ? bias[n] : 0.0f), e);
            REQUIRE_MESSAGE(std::fabs(c[m * N + n] - expect) <= 1e-5f * std::fmax(1.0f, std::fabs(expect)),
                            name, " M=", M, " N=", N, " K=", K, " m=", m, " n=", n, " epilogue=", int(e));
          }
        for (size_t i = M * N; i < c.size(); ++i)
          REQUIRE_MESSAGE(c[i] == 42.0f, name, " M=", M, " N=", N, " K=", K, ": wrote past the last row's N");
      }
  for (size_t i = 0; i < kNumEpilogues; ++i) CHECK_MESSAGE(seen[i], name, " never ran epilogue ", int(kEpilogues[i]));
}

// Float-weight GEMMs against double sums over awkward shapes (f16 weights: their exact f32 values).
template <typename WT, typename Fn>
void check_float_gemm(const char* name, Fn fn, const Tile& tile, WT (*store)(float), float (*value)(WT)) {
  CAPTURE(name);
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  bool seen[kNumEpilogues] = {};
  for (size_t M : rows_for(tile)) for (size_t N : cols_for(tile)) for (size_t K : sizes({1, 5, 16, 17, 64, 100, 4 * tile.kr + 3})) {
    const size_t lda = K + 2, ldc = N + 3, ldw = K + (N % 2) * 5;  // packed and strided weight rows
    std::vector<float> a(M * lda), bias(N), c(M * ldc, 42.0f);
    std::vector<WT> w(N * ldw);
    for (auto& v : a) v = g(rng);
    for (auto& v : w) v = store(g(rng));
    for (auto& v : bias) v = g(rng);
    const Epilogue e = kEpilogues[(M + N + K) % kNumEpilogues];  // every epilogue in turn, as for qgemm
    seen[(M + N + K) % kNumEpilogues] = true;
    fn(M, N, K, a.data(), lda, w.data(), ldw, bias.data(), c.data(), ldc, e);
    for (size_t m = 0; m < M; ++m) {
      for (size_t n = 0; n < N; ++n) {
        double acc = bias[n];
        for (size_t k = 0; k < K; ++k) acc += double(a[m * lda + k]) * double(value(w[n * ldw + k]));
        REQUIRE_MESSAGE(std::fabs(c[m * ldc + n] - exact_epilogue(acc, e)) <= 1e-5 * (1 + std::sqrt(double(K))) * (1 + std::fabs(acc)),
                        "M=", M, " N=", N, " K=", K, " epilogue=", int(e));
      }
      for (size_t n = N; n < ldc; ++n) REQUIRE(c[m * ldc + n] == 42.0f);
    }
  }
  for (size_t i = 0; i < kNumEpilogues; ++i) CHECK_MESSAGE(seen[i], "never ran epilogue ", int(kEpilogues[i]));
}

void check_fgemm(const char* name, FGemmFn fn, const Tile& tile) {
  check_float_gemm<float>(name, fn, tile, [](float x) { return x; }, [](float x) { return x; });
}

void check_hgemm(const char* name, HGemmFn fn, const Tile& tile) {
  check_float_gemm<uint16_t>(name, fn, tile, f32_to_f16, f16_to_f32);
}

void check_quantize_rows(const char* name, QuantizeRowsFn fn, const Tile&) {
  std::vector<float> x = {0.f, 1.f, -2.f, 0.5f, 2.f, /* row 2 */ 0, 0, 0, 0, 0};
  std::vector<int8_t> q(16, 99);
  std::vector<float> s(2);
  fn(2, 5, x.data(), 5, q.data(), 8, s.data());
  CHECK_MESSAGE(s[0] == doctest::Approx(2.0f / 127), name);
  CHECK(q[2] == -127);
  CHECK(q[4] == 127);
  CHECK(q[3] == 32);  // 0.5 * 63.5 = 31.75 -> 32
  CHECK(q[5] == 0);   // K padding
  CHECK(s[1] == 1.0f);
  CHECK(q[8] == 0);
  // Bit-identical to the reference on random rows of awkward lengths (the int8 path must not
  // depend on the ISA).
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.0f, 3.0f);
  for (size_t K : {1, 5, 16, 17, 63, 100, 769}) {
    const size_t M = 3, ld = (K + 3) / 4 * 4 + 8;
    std::vector<float> xs(M * K);
    for (auto& v : xs) v = g(rng);
    xs[1] = 0.5f * std::fabs(xs[0]);  // ties to even somewhere
    std::vector<int8_t> a(M * ld, 7), b(M * ld, 7);
    std::vector<float> sa(M), sb(M);
    fn(M, K, xs.data(), K, a.data(), ld, sa.data());
    qd8_quantize_rows__ref(M, K, xs.data(), K, b.data(), ld, sb.data());
    CHECK(a == b);
    CHECK(sa == sb);
  }
}

// The reference GEMM is checked against exact sums too; softmax and activations against double.
constexpr auto kRefGemmNN = &f32_gemm_nn_1x1__ref;

void check_gemm_nn(const char* name, F32GemmNNFn fn, const Tile& tile) {
  CAPTURE(name);
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  for (size_t M : rows_for(tile)) for (size_t N : cols_for(tile)) for (size_t K : {1, 3, 16, 64, 129}) {
    const size_t lda = K + 3, ldb = N + 5, ldc = N + 2;
    std::vector<float> a(M * lda), b(K * ldb), c(M * ldc, 99.0f), ref(M * ldc, 99.0f);
    for (auto& v : a) v = g(rng);
    for (auto& v : b) v = g(rng);
    fn(M, N, K, a.data(), lda, b.data(), ldb, c.data(), ldc);
    kRefGemmNN(M, N, K, a.data(), lda, b.data(), ldb, ref.data(), ldc);
    for (size_t m = 0; m < M; ++m) {
      for (size_t n = 0; n < N; ++n) {
        double exact = 0;
        for (size_t k = 0; k < K; ++k) exact += double(a[m * lda + k]) * b[k * ldb + n];
        REQUIRE(std::fabs(c[m * ldc + n] - exact) <= 1e-5 * (1 + std::sqrt(double(K))) * (1 + std::fabs(exact)));
        REQUIRE(std::fabs(ref[m * ldc + n] - exact) <= 1e-5 * (1 + std::sqrt(double(K))) * (1 + std::fabs(exact)));
      }
      for (size_t n = N; n < ldc; ++n) REQUIRE(c[m * ldc + n] == 99.0f);  // nothing written past N
    }
  }
}

void check_softmax(const char* name, SoftmaxFn fn, const Tile&) {
  CAPTURE(name);
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0.0f, 4.0f);
  for (size_t n : {1, 2, 15, 16, 17, 40, 129}) {
    std::vector<float> x(n);
    for (auto& v : x) v = g(rng);
    x[0] = std::numeric_limits<float>::lowest();  // a masked key: exactly 0
    if (n > 3) x[n - 1] = 88.0f;                   // a large score must not overflow
    std::vector<float> y = x;
    fn(y.data(), n);
    double mx = -1e300, sum = 0;
    for (float v : x) mx = std::max(mx, double(v));
    for (float v : x) sum += std::exp(double(v) - mx);
    for (size_t i = 0; i < n; ++i) {
      const double exact = n == 1 ? 1.0 : std::exp(double(x[i]) - mx) / sum;
      REQUIRE(std::fabs(y[i] - exact) <= 2e-6 * (exact + 1e-6));
    }
    if (n > 1) CHECK(y[0] == 0.0f);
  }
}

void check_log_softmax(const char* name, LogSoftmaxFn fn, const Tile&) {
  CAPTURE(name);
  std::mt19937 rng(17);
  std::normal_distribution<float> g(0.0f, 6.0f);
  for (size_t n : {1, 2, 7, 16, 17, 129, 32128}) {
    CAPTURE(n);
    std::vector<float> x(n + 1, 77.0f);
    for (size_t i = 0; i < n; ++i) x[i] = g(rng);
    if (n > 3) x[1] = -1e4f, x[2] = 60.0f;  // a near-impossible token and a dominant one
    const std::vector<float> x0 = x;
    fn(x.data(), n);
    double mx = -1e300, sum = 0;
    for (size_t i = 0; i < n; ++i) mx = std::max(mx, double(x0[i]));
    for (size_t i = 0; i < n; ++i) sum += std::exp(double(x0[i]) - mx);
    const double lse = mx + std::log(sum);
    for (size_t i = 0; i < n; ++i) REQUIRE(std::fabs(x[i] - (x0[i] - lse)) <= 2e-6 * (1 + std::fabs(x0[i] - lse)));
    REQUIRE(x[n] == 77.0f);
  }
}

void check_activation(const char* name, ActivationFn fn, const Tile&) {
  CAPTURE(name);
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-7f, -1e-7f, 30.0f, -30.0f, 100.0f, -100.0f}) x.push_back(v);
  for (Epilogue e : {Epilogue::kGeluErf, Epilogue::kGeluTanh, Epilogue::kTanh, Epilogue::kRelu, Epilogue::kSilu}) {
    CAPTURE(int(e));
    std::vector<float> y = x;
    fn(y.data(), y.size(), e);
    for (size_t i = 0; i < x.size(); ++i) {
      const double exact = exact_epilogue(x[i], e);
      REQUIRE_MESSAGE(std::fabs(y[i] - exact) <= 3e-7 * (1 + std::fabs(exact)), "x=", x[i], " got ", y[i], " want ", exact);
    }
  }
  // SiLU at the extremes: +inf stays +inf, the limit at -inf (and where exp(x) underflows) is -0 (not
  // the NaN of x / (1 + exp(-x))), NaN stays NaN, the largest floats do not overflow. 21 values: every
  // kernel's row tail too.
  const float inf = std::numeric_limits<float>::infinity(), big = std::numeric_limits<float>::max();
  const float tiny = std::numeric_limits<float>::min(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> ex = {inf, -inf, nan, -nan, big, -big, 88.5f, -88.5f, 87.0f, -87.0f, -87.5f,
                                 -90.0f, -100.0f, -101.0f, -1e4f, 1e4f, 0.0f, -0.0f, tiny, -tiny, 17.0f};
  std::vector<float> y = ex;
  fn(y.data(), y.size(), Epilogue::kSilu);
  for (size_t i = 0; i < ex.size(); ++i) {
    const double v = ex[i];
    const double want = std::isnan(v) ? v : std::isinf(v) ? (v > 0 ? v : -0.0) : v / (1 + std::exp(-v));
    CAPTURE(ex[i]);
    CAPTURE(y[i]);
    REQUIRE(std::isnan(y[i]) == std::isnan(want));
    if (want == 0 || std::isinf(want))
      REQUIRE((y[i] == want && std::signbit(y[i]) == std::signbit(want)));
    else if (!std::isnan(want))
      REQUIRE(std::fabs(y[i] - want) <= 3e-7 * (1 + std::fabs(want)));
  }
}

// Rows of awkward lengths, with and without a residual, written in place over x and over residual
// (as the encoder does), against double sums.
void check_layer_norm(const char* name, LayerNormFn fn, const Tile&) {
  CAPTURE(name);
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.5f, 3.0f);
  for (size_t dim : {1, 7, 8, 15, 16, 17, 100, 768, 1027})
    for (int mode = 0; mode < 3; ++mode) {  // 0: no residual, y separate; 1: y = x; 2: y = residual
      CAPTURE(dim);
      CAPTURE(mode);
      std::vector<float> x(dim + 1, 77.0f), r(dim + 1, 77.0f), gamma(dim), beta(dim), out(dim + 1, 77.0f);
      for (size_t i = 0; i < dim; ++i) x[i] = g(rng), r[i] = g(rng), gamma[i] = g(rng), beta[i] = g(rng);
      const std::vector<float> x0 = x, r0 = r;
      float* y = mode == 0 ? out.data() : mode == 1 ? x.data() : r.data();
      fn(dim, x.data(), mode == 0 ? nullptr : r.data(), gamma.data(), beta.data(), 1e-5f, y);
      double mean = 0, var = 0;
      for (size_t i = 0; i < dim; ++i) mean += mode == 0 ? x0[i] : double(x0[i]) + r0[i];
      mean /= double(dim);
      for (size_t i = 0; i < dim; ++i) {
        const double d = (mode == 0 ? x0[i] : double(x0[i]) + r0[i]) - mean;
        var += d * d;
      }
      const double inv = 1.0 / std::sqrt(var / double(dim) + 1e-5);
      for (size_t i = 0; i < dim; ++i) {
        const double v = (mode == 0 ? x0[i] : double(x0[i]) + r0[i]), exact = (v - mean) * inv * gamma[i] + beta[i];
        REQUIRE(std::fabs(y[i] - exact) <= 2e-6 * (1 + std::fabs(gamma[i]) + std::fabs(exact)));
      }
      REQUIRE(y[dim] == 77.0f);  // nothing written past the row
    }
}

void check_rms_norm(const char* name, RmsNormFn fn, const Tile&) {
  CAPTURE(name);
  std::mt19937 rng(13);
  std::normal_distribution<float> g(0.2f, 2.0f);
  for (size_t dim : {1, 7, 8, 15, 16, 17, 100, 512, 1027})
    for (bool in_place : {false, true}) {
      CAPTURE(dim);
      std::vector<float> x(dim + 1, 77.0f), w(dim), out(dim + 1, 77.0f);
      for (size_t i = 0; i < dim; ++i) x[i] = g(rng), w[i] = g(rng);
      const std::vector<float> x0 = x;
      float* y = in_place ? x.data() : out.data();
      fn(dim, x.data(), w.data(), 1e-6f, y);
      double ss = 0;
      for (size_t i = 0; i < dim; ++i) ss += double(x0[i]) * x0[i];
      const double inv = 1.0 / std::sqrt(ss / double(dim) + 1e-6);
      for (size_t i = 0; i < dim; ++i) {
        const double exact = w[i] * x0[i] * inv;
        REQUIRE(std::fabs(y[i] - exact) <= 2e-6 * (1 + std::fabs(w[i]) + std::fabs(exact)));
      }
      REQUIRE(y[dim] == 77.0f);
    }
}

}  // namespace

TEST_SUITE("kernels") {
// One case per kernel in kernels.inc, named after it; skipped (and reported so) where the CPU lacks
// its ISA.
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) \
  TEST_CASE(#name * doctest::skip(!isa_supported(isa))) { check_##kind(#name, &name, Tile{mr, nr, kr}); }
#include "kernels/kernels.inc"
#undef TERN_KERNEL

#if TERN_TEST_AMX_EMULATED
// The AMX kernel with software tiles (amx_tiles.h's model of the instructions, including the faults
// the hardware would raise): its blocking, K tails, VNNI rows and epilogue, on CPUs without AMX.
TEST_CASE("qd8_f32_qc8w_gemm_32x32c4__amx with emulated tiles" * doctest::skip(!isa_supported(Isa::kAvx512Vnni))) {
  check_qgemm("qd8_f32_qc8w_gemm_32x32c4__amx (emulated)", &qd8_f32_qc8w_gemm_32x32c4__amx_emulated, Tile{32, 32, 4});
  CHECK(amx_emulation_faults() == 0);
}
#endif

  TEST_CASE("f16 conversion rounds to nearest even, handles subnormals and overflow") {
    CHECK(f32_to_f16(1.0f) == 0x3c00);
    CHECK(f32_to_f16(65504.0f) == 0x7bff);
    CHECK(f32_to_f16(65520.0f) == 0x7c00);
    CHECK(f32_to_f16(5.9604645e-08f) == 0x0001);   // smallest subnormal
    CHECK(f32_to_f16(2.9802322e-08f) == 0x0000);   // half of it: ties to even -> 0
    CHECK(f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);  // tie -> even
    CHECK(f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);
    for (uint32_t h = 0; h < 0x7c00; ++h) REQUIRE(f32_to_f16(f16_to_f32(uint16_t(h))) == h);
  }

  TEST_CASE("isa names round-trip and unknown names are refused") {
    CHECK(parse_isa("auto").value() == Isa::kAuto);
    for (Isa isa : kAllIsas) CHECK(parse_isa(isa_name(isa)).value() == isa);
    CHECK_FALSE(parse_isa("sse9").ok());
  }
}
