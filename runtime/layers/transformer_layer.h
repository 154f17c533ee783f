// The encoder layer and the decoder layer every model here is built from: attention, feed-forward
// and their norms, configured from the blob (pre- or post-norm, LayerNorm or RMSNorm, scaled or
// unscaled attention, with or without a position bias, plain or gated feed-forward).
#pragma once

#include "layers/attention.h"
#include "layers/feed_forward.h"
#include "layers/norm.h"

namespace tern {

struct LayerSpec {
  size_t d_model = 0;
  AttentionSpec attention;
  NormSpec norm;
  FeedForwardSpec ffn;
};

struct EncoderLayer {
  Linear qkv;       // [3 * inner, D]: q rows, then k, then v
  Linear attn_out;  // [D, inner]
  Norm attn_norm;   // [D] pre-norm: before attention; post-norm: after its residual add
  FeedForward ffn;
  Norm ffn_norm;    // [D]
};

struct DecoderLayer {
  Linear self_qkv;   // [3 * inner, D]
  Linear self_out;   // [D, inner]
  Norm self_norm;
  Linear cross_q;    // [inner, D]
  Linear cross_kv;   // [2 * inner, D]: k rows, then v (applied to the encoder output once per input)
  Linear cross_out;  // [D, inner]
  Norm cross_norm;
  FeedForward ffn;
  Norm ffn_norm;
};

// A layer's work buffers, for M rows: qkv [M, 3 * inner], ctx [M, inner], tmp and normed [M, D],
// ffn [M, ffn.in.out], scores (attention_scratch_floats per thread).
struct LayerScratch {
  float *qkv, *ctx, *tmp, *normed, *ffn, *scores;
};

// out = layer(in) over batch x seq rows (out may be in). key_mask [batch, seq]; bias [heads, seq,
// seq] or null; probs [batch, heads, seq, seq] written when not null.
void run_encoder_layer(const OpContext& ctx, const LayerSpec& spec, const EncoderLayer& w, const LayerScratch& s,
                       size_t batch, size_t seq, const int32_t* key_mask, const float* bias, float* probs,
                       const float* in, float* out);

// One decoder position of `rows` sequences through one layer, in place on x [rows, D]. Its
// self-attention K/V go to cache row `pos` of each sequence, then attend over rows 0..pos.
struct DecoderPosition {
  size_t rows = 0, pos = 0;
  float* cache = nullptr;                  // this layer's [rows, cache_rows, 2 * inner]
  size_t cache_rows = 0;
  const int32_t* self_mask = nullptr;      // [rows, self_mask_stride] or null
  size_t self_mask_stride = 0;
  const float* self_bias = nullptr;        // [heads, cache_rows, cache_rows] or null
  const float* cross_kv = nullptr;         // this layer's [inputs, src_len, 2 * inner]
  const int32_t* src_mask = nullptr;       // [inputs, src_len]
  size_t src_len = 0, group = 1;           // row r reads input r / group (beams)
};
void run_decoder_layer(const OpContext& ctx, const LayerSpec& spec, const DecoderLayer& w, const LayerScratch& s,
                       const DecoderPosition& p, float* x);

}  // namespace tern
