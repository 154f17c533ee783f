// Ops: the building blocks of the models, written once on top of the kernel table.
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

#include "format/blob.h"
#include "kernels/kernels.h"

namespace tern {

// What every op call needs: the chosen kernels, the thread pool (null: the calling thread), and the
// scratch for quantized activations, sized by the session's plan.
struct OpContext {
  KernelTable kernels;
  pthreadpool_t pool = nullptr;
  int8_t* act_q = nullptr;       // [max_rows, act_q_stride]
  float* act_scale = nullptr;    // [max_rows]
  size_t act_q_stride = 0;       // >= round_up(largest K, 4)
};

struct Linear {
  const TensorView* weight = nullptr;  // [out, in]: I8 N16K4, or F32/F16 RowMajor
  const float* bias = nullptr;         // [out] or null
  size_t out = 0, in = 0;
};

struct Norm {
  const float* weight = nullptr;  // [dim]
  const float* bias = nullptr;    // [dim]
};

// y[M, out] (row stride ldy) = epilogue(x[M, in] W^T + b). Threads split the output channels, so
// every element is computed the same way whatever the thread count.
void linear(const OpContext& ctx, const Linear& op, const float* x, size_t ldx, size_t M, float* y,
            size_t ldy, Epilogue epilogue);

// y = LayerNorm(x + residual) over rows of `dim`; residual may be null; y may alias x or residual.
void layer_norm(const float* x, const float* residual, size_t M, size_t dim, const Norm& norm,
                float eps, float* y);

// x += y, elementwise.
void add_inplace(float* x, const float* y, size_t n);

// Multi-head self-attention on a fused projection qkv [B*T, 3*H] (q | k | v, heads contiguous in
// each). mask [B, T]: 1 = attend, 0 = padding (Hugging Face adds finfo(float).min to masked scores,
// and so do we). probs: [B, heads, T, T] when the caller keeps them, else a [T, T] scratch reused
// for every (batch, head); keep_probs says which. ctx out: [B*T, H].
void self_attention(const float* qkv, size_t B, size_t T, size_t heads, size_t head_dim,
                    const int32_t* mask, float* probs, bool keep_probs, float* ctx);

// out[i, :] = row ids[i] of an embedding table [rows, dim] (I8 per-row scales, F32 or F16).
void embedding_gather(const TensorView& table, const int32_t* ids, size_t count, float* out);
// out[i, :] += row ids[i] of the table.
void embedding_add(const TensorView& table, const int32_t* ids, size_t count, float* out);

}  // namespace tern
