// Multi-head attention as the models use it, over the rows their projections wrote: self-attention
// of whole sequences, and the two attentions of one decoder position (over its self-attention KV
// cache, and across to the encoder's output).
#pragma once

#include "ops/ops.h"

namespace tern {

struct AttentionSpec {
  size_t heads = 0, head_dim = 0;
  float scale = 1.0f;  // on the scores: 1/sqrt(head_dim), or 1 where the weights carry it (T5)
  size_t inner() const { return heads * head_dim; }
};

// Self-attention over `batch` sequences of `seq` rows [q | k | v] (row stride 3 * inner), keys
// masked by key_mask [batch, seq] (null: none), plus bias [heads, seq, seq] when not null. Writes
// ctx [batch * seq, inner] and, when probs is not null, the probabilities [batch, heads, seq, seq].
// scores: threads x attention_scratch_floats(seq, seq, head_dim).
void self_attention(const OpContext& ctx, const AttentionSpec& spec, const float* qkv, const int32_t* key_mask,
                    const float* bias, size_t batch, size_t seq, float* scores, float* probs, float* out);

// The self-attention of decoder position `pos` for `rows` sequences: queries [rows, inner] at
// q_stride; keys and values the first pos + 1 rows of each sequence's cache [cache_rows, k | v].
// key_mask [rows, key_mask_stride] may be null; bias [heads, cache_rows, cache_rows] may be null.
struct CachedAttention {
  const float* q = nullptr;
  size_t q_stride = 0;
  const float* cache = nullptr;
  size_t cache_rows = 0;
  const int32_t* key_mask = nullptr;
  size_t key_mask_stride = 0;
  const float* bias = nullptr;
  size_t rows = 0, pos = 0;
};
void cached_self_attention(const OpContext& ctx, const AttentionSpec& spec, const CachedAttention& a,
                           float* scores, float* out);

// Cross-attention of one decoder position: queries [rows, inner]; row r attends to the encoder
// rows of input r / group: kv [inputs, src_len, k | v], masked by src_mask [inputs, src_len].
void cross_attention(const OpContext& ctx, const AttentionSpec& spec, const float* q, const float* kv,
                     const int32_t* src_mask, size_t src_len, size_t rows, size_t group, float* scores, float* out);

}  // namespace tern
