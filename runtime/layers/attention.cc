#include "layers/attention.h"

namespace tern {
namespace {

Attention base(const AttentionSpec& spec, float* scores, float* out) {
  Attention a;
  a.heads = spec.heads;
  a.head_dim = spec.head_dim;
  a.scale = spec.scale;
  a.scores = scores;
  a.ctx = out;
  a.ctx_stride = spec.inner();
  return a;
}

}  // namespace

void self_attention(const OpContext& ctx, const AttentionSpec& spec, const float* qkv, const int32_t* key_mask,
                    const float* bias, size_t batch, size_t seq, float* scores, float* probs, float* out) {
  const size_t inner = spec.inner();
  Attention a = base(spec, scores, out);
  a.sequences = batch;
  a.queries = a.keys = a.kv_rows = a.key_mask_stride = seq;
  a.q = qkv;
  a.k = qkv + inner;
  a.v = qkv + 2 * inner;
  a.q_stride = a.kv_stride = 3 * inner;
  a.key_mask = key_mask;
  if (bias) {
    a.bias = bias;
    a.bias_rows = a.bias_stride = seq;
  }
  a.probs = probs;
  attention(ctx, a);
}

void cached_self_attention(const OpContext& ctx, const AttentionSpec& spec, const CachedAttention& c,
                           float* scores, float* out) {
  const size_t inner = spec.inner();
  Attention a = base(spec, scores, out);
  a.sequences = c.rows;
  a.queries = 1;
  a.keys = c.pos + 1;
  a.q = c.q;
  a.q_stride = c.q_stride;
  a.k = c.cache;
  a.v = c.cache + inner;
  a.kv_stride = 2 * inner;
  a.kv_rows = c.cache_rows;
  a.key_mask = c.key_mask;
  a.key_mask_stride = c.key_mask_stride;
  if (c.bias) {
    a.bias = c.bias;
    a.bias_rows = a.bias_stride = c.cache_rows;
  }
  a.first_query_pos = c.pos;
  attention(ctx, a);
}

void cross_attention(const OpContext& ctx, const AttentionSpec& spec, const float* q, const float* kv,
                     const int32_t* src_mask, size_t src_len, size_t rows, size_t group, float* scores, float* out) {
  const size_t inner = spec.inner();
  Attention a = base(spec, scores, out);
  a.sequences = rows;
  a.queries = 1;
  a.keys = a.kv_rows = a.key_mask_stride = src_len;
  a.kv_group = group;
  a.q = q;
  a.q_stride = inner;
  a.k = kv;
  a.v = kv + inner;
  a.kv_stride = 2 * inner;
  a.key_mask = src_mask;
  attention(ctx, a);
}

}  // namespace tern
