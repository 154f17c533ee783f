#include "layers/transformer_layer.h"

#include <cstring>

namespace tern {

void run_encoder_layer(const OpContext& ctx, const LayerSpec& spec, const EncoderLayer& w, const LayerScratch& s,
                       size_t batch, size_t seq, const int32_t* key_mask, const float* bias, float* probs,
                       const float* in, float* out) {
  const size_t D = spec.d_model, inner = spec.attention.inner(), M = batch * seq;
  const float* x = sublayer_input(ctx, spec.norm, w.attn_norm, in, M, D, s.normed);
  linear(ctx, w.qkv, x, D, M, s.qkv, 3 * inner, Epilogue::kNone);
  self_attention(ctx, spec.attention, s.qkv, key_mask, bias, batch, seq, s.scores, probs, s.ctx);
  linear(ctx, w.attn_out, s.ctx, inner, M, s.tmp, D, Epilogue::kNone);
  add_residual(ctx, spec.norm, w.attn_norm, in, s.tmp, M, D, out);
  x = sublayer_input(ctx, spec.norm, w.ffn_norm, out, M, D, s.normed);
  feed_forward(ctx, spec.ffn, w.ffn, x, M, s.ffn, s.tmp);
  add_residual(ctx, spec.norm, w.ffn_norm, out, s.tmp, M, D, out);
}

void run_decoder_layer(const OpContext& ctx, const LayerSpec& spec, const DecoderLayer& w, const LayerScratch& s,
                       const DecoderPosition& p, float* x) {
  const size_t D = spec.d_model, inner = spec.attention.inner(), kv_row = 2 * inner, rows = p.rows;
  const float* in = sublayer_input(ctx, spec.norm, w.self_norm, x, rows, D, s.normed);
  linear(ctx, w.self_qkv, in, D, rows, s.qkv, 3 * inner, Epilogue::kNone);
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(p.cache + (r * p.cache_rows + p.pos) * kv_row, s.qkv + r * 3 * inner + inner, kv_row * sizeof(float));
  CachedAttention self;
  self.q = s.qkv;
  self.q_stride = 3 * inner;
  self.cache = p.cache;
  self.cache_rows = p.cache_rows;
  self.key_mask = p.self_mask;
  self.key_mask_stride = p.self_mask_stride;
  self.bias = p.self_bias;
  self.rows = rows;
  self.pos = p.pos;
  cached_self_attention(ctx, spec.attention, self, s.scores, s.ctx);
  linear(ctx, w.self_out, s.ctx, inner, rows, s.tmp, D, Epilogue::kNone);
  add_residual(ctx, spec.norm, w.self_norm, x, s.tmp, rows, D, x);

  in = sublayer_input(ctx, spec.norm, w.cross_norm, x, rows, D, s.normed);
  linear(ctx, w.cross_q, in, D, rows, s.qkv, inner, Epilogue::kNone);
  cross_attention(ctx, spec.attention, s.qkv, p.cross_kv, p.src_mask, p.src_len, rows, p.group, s.scores, s.ctx);
  linear(ctx, w.cross_out, s.ctx, inner, rows, s.tmp, D, Epilogue::kNone);
  add_residual(ctx, spec.norm, w.cross_norm, x, s.tmp, rows, D, x);

  in = sublayer_input(ctx, spec.norm, w.ffn_norm, x, rows, D, s.normed);
  feed_forward(ctx, spec.ffn, w.ffn, in, rows, s.ffn, s.tmp);
  add_residual(ctx, spec.norm, w.ffn_norm, x, s.tmp, rows, D, x);
}

}  // namespace tern
