// Kernel signatures and the dispatch table. Reference kernels (kernels/ref.cc) are always built and
// are the ground truth; per-ISA kernels live in ports/<arch>/<isa>/ and are listed once in
// kernels.inc, which declares them, selects them at run time and instantiates their tests.
#pragma once

#include <cstddef>
#include <cstdint>
#if defined(__ARM_NEON)
#include <arm_neon.h>  // for the ARM GEMMs' shared epilogue below
#endif

#include "tern/options.h"

namespace tern {

// Values are appended, never renumbered. kSilu is x * sigmoid(x) (PyTorch's F.silu, "swish").
enum class Epilogue : uint8_t { kNone = 0, kGeluErf, kGeluTanh, kRelu, kTanh, kSilu };

// Each kind's signature, written once: kernels.inc declares `kind##_kernel_type name;` per kernel.

// C[m, n] = epilogue(sum_k A[m, k] * W[n, k] * a_scale[m] * w_scale[n] + bias[n]) for m < M, n < N.
// A: int8 [M, lda], K valid columns then zeros up to round_up(K, 4).
// W: int8 N16K4 layout (schema/tern.fbs) for N output channels, starting at a 16-channel block.
// col_sums: [round_up(N, 16)] per-channel sums of W, for kernels that offset A to unsigned.
// bias: [N] or null. C: f32 rows of stride ldc.
using qgemm_kernel_type = void(size_t M, size_t N, size_t K, const int8_t* A, size_t lda, const float* a_scale,
                               const int8_t* W, const float* w_scale, const int32_t* col_sums, const float* bias,
                               float* C, size_t ldc, Epilogue epilogue);

// Same product with float weights, W row-major [N, K] with row stride ldw (f32, or f16 for the
// _f16w variant). Linear layers pass ldw = K; attention passes its key rows (Q.K^T for few queries).
using fgemm_kernel_type = void(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* W,
                               size_t ldw, const float* bias, float* C, size_t ldc, Epilogue epilogue);
using hgemm_kernel_type = void(size_t M, size_t N, size_t K, const float* A, size_t lda, const uint16_t* W,
                               size_t ldw, const float* bias, float* C, size_t ldc, Epilogue epilogue);

// Per-row symmetric quantization: scale[m] = max|x[m, :K]| / 127, q = round(x / scale) (ties to
// even), written as K values then zeros up to round_up(K, 4). An all-zero row gets scale 1.
using quantize_rows_kernel_type = void(size_t M, size_t K, const float* X, size_t ldx, int8_t* Q, size_t ldq,
                                       float* scale);

// C[M, N] = A[M, K] . B[K, N] (all row-major with strides), f32: attention's Q.K^T and P.V.
using gemm_nn_kernel_type = void(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
                                 size_t ldb, float* C, size_t ldc);
// x[0..n) = exp(x - max(x)) / sum, in place.
using softmax_kernel_type = void(float* x, size_t n);
// x[0..n) = x - log(sum(exp(x))), in place (beam search's log-probabilities over the vocabulary).
using log_softmax_kernel_type = void(float* x, size_t n);
// x[0..n) = epilogue(x), in place (GELU exact or tanh-approx, tanh, ReLU, SiLU).
using activation_kernel_type = void(float* x, size_t n, Epilogue epilogue);

// One row of `dim`: y = LayerNorm(x + residual) * gamma + beta (residual may be null; y may alias
// x or residual), and y = x * rsqrt(mean(x^2) + eps) * weight (T5's norm; y may alias x).
using layer_norm_kernel_type = void(size_t dim, const float* x, const float* residual, const float* gamma,
                                    const float* beta, float eps, float* y);
using rms_norm_kernel_type = void(size_t dim, const float* x, const float* weight, float eps, float* y);

using QGemmFn = qgemm_kernel_type*;
using FGemmFn = fgemm_kernel_type*;
using HGemmFn = hgemm_kernel_type*;
using QuantizeRowsFn = quantize_rows_kernel_type*;
using F32GemmNNFn = gemm_nn_kernel_type*;
using SoftmaxFn = softmax_kernel_type*;
using LogSoftmaxFn = log_softmax_kernel_type*;
using ActivationFn = activation_kernel_type*;
using LayerNormFn = layer_norm_kernel_type*;
using RmsNormFn = rms_norm_kernel_type*;

// One selected kernel and its facts from kernels.inc.
template <typename Fn>
struct Kernel {
  Fn fn = nullptr;
  const char* name = "";
  size_t mr = 1, nr = 1, kr = 1;  // tile: rows, output channels, K group (1 where there is none)
};

struct KernelTable {
  Isa isa = Isa::kRef;
  Kernel<QGemmFn> qgemm;
  Kernel<FGemmFn> fgemm;
  Kernel<HGemmFn> hgemm;
  Kernel<QuantizeRowsFn> quantize_rows;
  Kernel<F32GemmNNFn> gemm_nn;
  Kernel<SoftmaxFn> softmax;
  Kernel<LogSoftmaxFn> log_softmax;
  Kernel<ActivationFn> activation;
  Kernel<LayerNormFn> layer_norm;
  Kernel<RmsNormFn> rms_norm;
};

#if defined(__ARM_NEON)
// The ARM int8 GEMMs' shared epilogue (ports/arm/neon/, compiled once with the neon tier's flags):
// c[0..count) = epilogue(acc * a_scale * w_scale[i] + bias[i]) for one row of a 16-channel block,
// acc0..acc3 its 16 sums; w_scale and bias (may be null) point at the block's first channel.
void qd8_f32_row16_epilogue__neon(int32x4_t acc0, int32x4_t acc1, int32x4_t acc2, int32x4_t acc3, float a_scale,
                                  const float* w_scale, const float* bias, size_t count, float* c,
                                  Epilogue epilogue);
#endif

// Declarations of every kernel in kernels.inc.
#define TERN_KERNEL(kind, name, isa, mr, nr, kr) kind##_kernel_type name;
#include "kernels/kernels.inc"
#undef TERN_KERNEL

// Whether this CPU and OS can run code for `isa` (cpuinfo; ref is always true).
bool isa_supported(Isa isa);
// Why this CPU and OS cannot run `isa` ("not on this CPU", or the OS's refusal of AMX tile state),
// nullptr when they can.
const char* isa_refusal(Isa isa);
// Whether this build has kernels for `isa` (ref: always).
bool isa_built(Isa isa);
// The best ISA this build has kernels for and this CPU supports.
Isa best_isa();
// Fills `table` with the kernels for `isa` (ref where the ISA has no kernel of a kind).
// kUnsupported when the CPU lacks the ISA or the build has no kernel for it.
Status select_kernels(Isa isa, KernelTable* table);

float apply_epilogue(float x, Epilogue e);

// For port files, which include no standard-library headers: internal linkage, so that each file's
// copy keeps that file's ISA flags (the linker may pick any one weak copy of an inline function,
// possibly one compiled for instructions the CPU running the program lacks).
static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
#if defined(__aarch64__)
// IEEE half to float: one fcvt on every aarch64 CPU (the embedding gathers convert f16 tables row by
// row). Internal linkage, like min_size below. The portable version in ref.cc serves other targets.
static inline float f16_to_f32(uint16_t h) {
  __fp16 f;
  __builtin_memcpy(&f, &h, 2);
  return float(f);
}
#else
float f16_to_f32(uint16_t h);
#endif
uint16_t f32_to_f16(float f);

}  // namespace tern
