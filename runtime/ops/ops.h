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
class XnnpackLinears;

struct OpContext {
  KernelTable kernels;
  const XnnpackLinears* xnn = nullptr;  // the session's XNNPACK operators for float Linears, or null
  pthreadpool_t pool = nullptr;
  int8_t* act_q = nullptr;       // [max_rows, act_q_stride]
  float* act_scale = nullptr;    // [max_rows]
  size_t act_q_stride = 0;       // >= round_up(largest K, 4)
  size_t threads = 1;            // threads in `pool`; attention scratch is planned per thread
  bool poison = false;           // SessionOptions::poison_scratch
};

struct Linear {
  const TensorView* weight = nullptr;  // [out, in]: I8 N16K4, or F32/F16 RowMajor
  const float* bias = nullptr;         // [out] or null
  size_t out = 0, in = 0;
  int index = -1;  // position among its model's Linears (Binder order): its XNNPACK operator; -1: none
};

struct Norm {
  const float* weight = nullptr;  // [dim]
  const float* bias = nullptr;    // [dim]
};

// y[M, out] (row stride ldy) = epilogue(x[M, in] W^T + b). Threads split the output channels, so
// every element is computed the same way whatever the thread count. Float weights run on the
// session's XNNPACK operator when it has one for `op` and the call suits it (XnnpackLinears::run);
// XNNPACK also splits only whole output tiles, so its results do not depend on threads either.
void linear(const OpContext& ctx, const Linear& op, const float* x, size_t ldx, size_t M, float* y,
            size_t ldy, Epilogue epilogue);

// y = LayerNorm(x + residual) over rows of `dim`; residual may be null; y may alias x or residual.
void layer_norm(const OpContext& ctx, const float* x, const float* residual, size_t M, size_t dim,
                const Norm& norm, float eps, float* y);

// x += y, elementwise.
void add_inplace(float* x, const float* y, size_t n);

// Multi-head attention, f32. For each sequence n < sequences, query i < queries and head h:
//   ctx[n, i, h] = sum_j softmax_j(scale * q[n, i, h] . k[n', j, h] + bias[h, i, j] + mask) v[n', j, h]
// where n' = n / kv_group (beams share their input's encoder keys), j runs over the keys visible to
// query i (all `keys`, or with `causal` the first first_query_pos + i + 1), and a key whose mask is 0
// gets finfo(float).min added to its score, as Hugging Face does.
struct Attention {
  size_t sequences = 0, queries = 0, keys = 0, heads = 0, head_dim = 0;
  const float* q = nullptr;  // row (n * queries + i) at q + row * q_stride, head h at + h * head_dim
  size_t q_stride = 0;
  const float* k = nullptr;  // row (n' * kv_rows + j) at k + row * kv_stride (v likewise)
  const float* v = nullptr;
  size_t kv_stride = 0, kv_rows = 0, kv_group = 1;
  const int32_t* key_mask = nullptr;  // [n', key_mask_stride] or null (all keys visible)
  size_t key_mask_stride = 0;
  const float* bias = nullptr;        // [heads, bias_rows, bias_stride]: row first_query_pos + i
  size_t bias_rows = 0, bias_stride = 0;
  bool causal = false;
  size_t first_query_pos = 0;
  float scale = 1.0f;
  float* scores = nullptr;            // scratch: threads x attention_scratch_floats(queries, keys, head_dim)
  float* probs = nullptr;             // [sequences, heads, queries, keys] when the caller keeps them
  float* ctx = nullptr;               // row (n * queries + i) at ctx + row * ctx_stride
  size_t ctx_stride = 0;
};
void attention(const OpContext& ctx, const Attention& a);
size_t attention_scratch_floats(size_t queries, size_t keys, size_t head_dim);

// y = x * rsqrt(mean(x^2) + eps) * weight, per row of `dim` (T5's layer norm: no mean, no bias).
void rms_norm(const OpContext& ctx, const float* x, size_t M, size_t dim, const float* weight, float eps,
              float* y);

// out[i, :] = row ids[i] of an embedding table [rows, dim] (I8 per-row scales, F32 or F16).
void embedding_gather(const TensorView& table, const int32_t* ids, size_t count, float* out);
// out[i, :] += row ids[i] of the table.
void embedding_add(const TensorView& table, const int32_t* ids, size_t count, float* out);

}  // namespace tern
