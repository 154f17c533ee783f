#include "ops/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/memory_plan.h"
#include "ops/xnnpack_linear.h"

namespace tern {
namespace {

struct LinearTask {
  const OpContext* ctx;
  const Linear* op;
  const float* x;
  size_t ldx, M;
  float* y;
  size_t ldy;
  Epilogue epilogue;
};

// Computes output channels [n0, n0 + count).
void linear_tile(void* arg, size_t n0, size_t count) {
  const LinearTask& t = *static_cast<const LinearTask*>(arg);
  const TensorView& w = *t.op->weight;
  const KernelTable& k = t.ctx->kernels;
  const size_t K = t.op->in;
  const float* bias = t.op->bias ? t.op->bias + n0 : nullptr;
  float* y = t.y + n0;
  switch (w.dtype) {
    case fb::DType::I8: {
      const size_t kp = (K + 3) / 4 * 4;  // n0 is a multiple of 16: whole N16K4 blocks
      const int8_t* W = static_cast<const int8_t*>(w.data) + n0 * kp;
      k.qgemm.fn(t.M, count, K, t.ctx->act_q, t.ctx->act_q_stride, t.ctx->act_scale, W,
              w.scales + n0, w.col_sums + n0, bias, y, t.ldy, t.epilogue);
      break;
    }
    case fb::DType::F32:
      k.fgemm.fn(t.M, count, K, t.x, t.ldx, static_cast<const float*>(w.data) + n0 * K, K, bias, y,
              t.ldy, t.epilogue);
      break;
    case fb::DType::F16:
      k.hgemm.fn(t.M, count, K, t.x, t.ldx, static_cast<const uint16_t*>(w.data) + n0 * K, K, bias, y,
              t.ldy, t.epilogue);
      break;
  }
}

}  // namespace

void linear(const OpContext& ctx, const Linear& op, const float* x, size_t ldx, size_t M, float* y,
            size_t ldy, Epilogue epilogue) {
  if (op.weight->dtype != fb::DType::I8 && ctx.xnn && ctx.xnn->run(op, x, ldx, M, y, ldy, ctx.pool)) {
    // Operators are made without a clamp, so every epilogue (ReLU too) is a pass over the rows.
    if (epilogue != Epilogue::kNone)
      for (size_t m = 0; m < M; ++m) ctx.kernels.activation.fn(y + m * ldy, op.out, epilogue);
    return;
  }
  if (op.weight->dtype == fb::DType::I8)
    ctx.kernels.quantize_rows.fn(M, op.in, x, ldx, ctx.act_q, ctx.act_q_stride, ctx.act_scale);
  // int8 GEMMs apply every epilogue to the tile they store. The float-weight kernels' epilogue is
  // scalar, so there smooth activations run as a vectorized pass over the rows instead.
  const bool fused = op.weight->dtype == fb::DType::I8 || epilogue == Epilogue::kNone || epilogue == Epilogue::kRelu;
  LinearTask task{&ctx, &op, x, ldx, M, y, ldy, fused ? epilogue : Epilogue::kNone};
  // About 4 ranges of channels per thread so that uneven cores even out, each a whole number of
  // the kernel's NR-channel tiles (and of 16-channel N16K4 blocks) so that only the last has a tail.
  const size_t threads = ctx.pool ? pthreadpool_get_threads_count(ctx.pool) : 1;
  const size_t nr = op.weight->dtype == fb::DType::I8   ? ctx.kernels.qgemm.nr
                    : op.weight->dtype == fb::DType::F32 ? ctx.kernels.fgemm.nr
                                                         : ctx.kernels.hgemm.nr;
  const size_t unit = nr > 16 ? nr : 16;  // lcm(nr, 16): tiles are powers of two
  size_t tile = (op.out + threads * 4 - 1) / (threads * 4);
  tile = (tile + unit - 1) / unit * unit;
  pthreadpool_parallelize_1d_tile_1d(ctx.pool, linear_tile, &task, op.out, tile, 0);
  if (!fused)
    for (size_t m = 0; m < M; ++m) ctx.kernels.activation.fn(y + m * ldy, op.out, epilogue);
}

void layer_norm(const OpContext& ctx, const float* x, const float* residual, size_t M, size_t dim, const Norm& norm,
                float eps, float* y) {
  for (size_t m = 0; m < M; ++m)
    ctx.kernels.layer_norm.fn(dim, x + m * dim, residual ? residual + m * dim : nullptr, norm.weight, norm.bias, eps,
                           y + m * dim);
}

void add_inplace(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

namespace {

// Pairs (sequence, head) [begin, end) of an attention, with one thread's scratch.
void attend(const KernelTable& kt, const Attention& a, size_t begin, size_t end, float* scratch) {
  const float masked = std::numeric_limits<float>::lowest();
  const size_t dh = a.head_dim, keys = a.keys;
  // Scratch: the scores of one (sequence, head) unless the caller keeps them, then K^T of the head.
  float* k_t = a.probs ? scratch : scratch + a.queries * keys;
  for (size_t pair = begin; pair < end; ++pair) {
    const size_t n = pair / a.heads, h = pair % a.heads, src = n / a.kv_group;
    const float* k = a.k + src * a.kv_rows * a.kv_stride + h * dh;
    const float* q = a.q + n * a.queries * a.q_stride + h * dh;
    float* scores = a.probs ? a.probs + (n * a.heads + h) * a.queries * keys : scratch;
    if (a.queries < 4) {
      // A decoder step: one dot product per key, read in place (a transpose would copy every key).
      kt.fgemm.fn(a.queries, keys, dh, q, a.q_stride, k, a.kv_stride, nullptr, scores, keys, Epilogue::kNone);
    } else {
      for (size_t j = 0; j < keys; ++j)  // K^T [dh, keys]: Q.K^T becomes a plain row-major product
        for (size_t d = 0; d < dh; ++d) k_t[d * keys + j] = k[j * a.kv_stride + d];
      kt.gemm_nn.fn(a.queries, keys, dh, q, a.q_stride, k_t, keys, scores, keys);
    }
    for (size_t i = 0; i < a.queries; ++i) {
      const size_t visible = a.causal ? std::min(keys, a.first_query_pos + i + 1) : keys;
      float* row = scores + i * keys;
      const float* bias = a.bias ? a.bias + (h * a.bias_rows + a.first_query_pos + i) * a.bias_stride : nullptr;
      const int32_t* mask = a.key_mask ? a.key_mask + src * a.key_mask_stride : nullptr;
      for (size_t j = 0; j < visible; ++j) {
        float s = row[j] * a.scale;
        if (bias) s += bias[j];
        if (mask && !mask[j]) s += masked;
        row[j] = s;
      }
      kt.softmax.fn(row, visible);
      for (size_t j = visible; j < keys; ++j) row[j] = 0;
    }
    kt.gemm_nn.fn(a.queries, dh, keys, scores, keys, a.v + src * a.kv_rows * a.kv_stride + h * dh, a.kv_stride,
               a.ctx + n * a.queries * a.ctx_stride + h * dh, a.ctx_stride);
  }
}

struct AttentionTask {
  const OpContext* ctx;
  const Attention* a;
  size_t pairs, parts, scratch_floats;
};

void attend_part(void* arg, size_t part) {
  const AttentionTask& t = *static_cast<const AttentionTask*>(arg);
  attend(t.ctx->kernels, *t.a, t.pairs * part / t.parts, t.pairs * (part + 1) / t.parts,
         t.a->scores + part * t.scratch_floats);
}

}  // namespace

void attention(const OpContext& ctx, const Attention& a) {
  // Contiguous ranges of (sequence, head) pairs, one per thread, each with its own scratch.
  const size_t pairs = a.sequences * a.heads;
  const size_t parts = std::min(pairs, std::max<size_t>(1, ctx.threads));
  AttentionTask task{&ctx, &a, pairs, parts, attention_scratch_floats(a.queries, a.keys, a.head_dim)};
  if (parts == 1) return attend_part(&task, 0);
  pthreadpool_parallelize_1d(ctx.pool, attend_part, &task, parts, 0);
}

size_t attention_scratch_floats(size_t queries, size_t keys, size_t head_dim) {
  return add_size(mul_size(queries, keys), mul_size(head_dim, keys));  // saturates: see memory_plan.h
}

void rms_norm(const OpContext& ctx, const float* x, size_t M, size_t dim, const float* weight, float eps, float* y) {
  for (size_t m = 0; m < M; ++m) ctx.kernels.rms_norm.fn(dim, x + m * dim, weight, eps, y + m * dim);
}

namespace {

template <bool kAdd>
void gather(const TensorView& table, const int32_t* ids, size_t count, float* out) {
  const size_t dim = size_t(table.shape[1]);
  for (size_t i = 0; i < count; ++i) {
    const size_t r = size_t(ids[i]);
    float* o = out + i * dim;
    for (size_t d = 0; d < dim; ++d) {
      float v;
      switch (table.dtype) {
        case fb::DType::I8: v = static_cast<const int8_t*>(table.data)[r * dim + d] * table.scales[r]; break;
        case fb::DType::F16: v = f16_to_f32(static_cast<const uint16_t*>(table.data)[r * dim + d]); break;
        default: v = static_cast<const float*>(table.data)[r * dim + d]; break;
      }
      o[d] = kAdd ? o[d] + v : v;
    }
  }
}

}  // namespace

void embedding_gather(const TensorView& table, const int32_t* ids, size_t count, float* out) {
  gather<false>(table, ids, count, out);
}

void embedding_add(const TensorView& table, const int32_t* ids, size_t count, float* out) {
  gather<true>(table, ids, count, out);
}

}  // namespace tern
