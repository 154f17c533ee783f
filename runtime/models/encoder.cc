#include "models/encoder.h"

#include "models/binder.h"

#include <cmath>
#include <cstring>
#include <string>

namespace tern {
namespace {

Status read_config(const fb::EncoderConfig* c, EncoderConfig* out) {
  TERN_CHECK_OR_RETURN(c != nullptr, Code::kInvalidModel, "model: encoder config is missing");
  EncoderConfig& e = *out;
  e.vocab_size = c->vocab_size();
  e.hidden_size = c->hidden_size();
  e.num_layers = c->num_layers();
  e.num_heads = c->num_heads();
  e.intermediate_size = c->intermediate_size();
  e.max_position_embeddings = c->max_position_embeddings();
  e.type_vocab_size = c->type_vocab_size();
  e.layer_norm_eps = c->layer_norm_eps();
  e.norm_first = c->norm_first();
  e.embedding_norm = c->embedding_norm();
  e.final_norm = c->final_norm();
  e.pooler = c->pooler();
  e.num_labels = c->num_labels();
  e.pad_token_id = c->pad_token_id();
  constexpr int kMaxDim = 1 << 16;
  auto in_range = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  TERN_CHECK_OR_RETURN(in_range(e.vocab_size, 1, 1 << 24), Code::kInvalidModel,
                       "config: vocab_size=%d is out of range", e.vocab_size);
  TERN_CHECK_OR_RETURN(in_range(e.hidden_size, 1, kMaxDim), Code::kInvalidModel,
                       "config: hidden_size=%d is out of range", e.hidden_size);
  TERN_CHECK_OR_RETURN(in_range(e.intermediate_size, 1, kMaxDim * 4), Code::kInvalidModel,
                       "config: intermediate_size=%d is out of range", e.intermediate_size);
  TERN_CHECK_OR_RETURN(in_range(e.num_layers, 1, 1024), Code::kInvalidModel,
                       "config: num_layers=%d is out of range", e.num_layers);
  TERN_CHECK_OR_RETURN(in_range(e.num_heads, 1, e.hidden_size) && e.hidden_size % e.num_heads == 0,
                       Code::kInvalidModel,
                       "config: num_heads=%d does not divide hidden_size=%d", e.num_heads,
                       e.hidden_size);
  TERN_CHECK_OR_RETURN(in_range(e.max_position_embeddings, 0, 1 << 20) &&
                           in_range(e.type_vocab_size, 0, 1 << 16),
                       Code::kInvalidModel, "config: position or type vocab size out of range");
  TERN_CHECK_OR_RETURN(in_range(e.num_labels, 1, 1 << 20), Code::kInvalidModel,
                       "config: num_labels=%d is out of range", e.num_labels);
  TERN_CHECK_OR_RETURN(e.layer_norm_eps > 0 && e.layer_norm_eps < 1, Code::kInvalidModel,
                       "config: layer_norm_eps=%g is out of range", e.layer_norm_eps);
  TERN_CHECK_OR_RETURN(c->activation() >= fb::Activation::MIN &&
                           c->activation() <= fb::Activation::MAX,
                       Code::kInvalidModel, "config: unknown activation %d", int(c->activation()));
  e.activation = Activation(int(c->activation()));
  return Status();
}

Epilogue epilogue_for(Activation a) {
  switch (a) {
    case Activation::kGeluErf: return Epilogue::kGeluErf;
    case Activation::kGeluTanh: return Epilogue::kGeluTanh;
    case Activation::kRelu: return Epilogue::kRelu;
  }
  return Epilogue::kNone;
}

}  // namespace

Status bind_encoder(const Blob& blob, EncoderConfig* config, EncoderWeights* w) {
  TERN_RETURN_IF_ERROR(read_config(blob.model().encoder(), config));
  const EncoderConfig& c = *config;
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  Binder b(blob);
  TERN_RETURN_IF_ERROR(b.embedding("embed.word", c.vocab_size, H, &w->word));
  if (c.max_position_embeddings)
    TERN_RETURN_IF_ERROR(b.embedding("embed.position", c.max_position_embeddings, H, &w->position));
  if (c.type_vocab_size)
    TERN_RETURN_IF_ERROR(b.embedding("embed.token_type", c.type_vocab_size, H, &w->token_type));
  if (c.embedding_norm) TERN_RETURN_IF_ERROR(b.norm("embed.norm", H, &w->embedding_norm));
  w->layers.resize(size_t(c.num_layers));
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "layers." + std::to_string(l);
    EncoderLayer& L = w->layers[size_t(l)];
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.qkv", 3 * H, H, &L.qkv));
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.out", H, H, &L.attn_out));
    TERN_RETURN_IF_ERROR(b.norm(p + ".attn.norm", H, &L.attn_norm));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.in", I, H, &L.ffn_in));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.out", H, I, &L.ffn_out));
    TERN_RETURN_IF_ERROR(b.norm(p + ".ffn.norm", H, &L.ffn_norm));
  }
  if (c.final_norm) TERN_RETURN_IF_ERROR(b.norm("final_norm", H, &w->final_norm));
  if (c.pooler) TERN_RETURN_IF_ERROR(b.linear("pooler", H, H, &w->pooler));
  TERN_RETURN_IF_ERROR(b.linear("classifier", c.num_labels, H, &w->classifier));
  w->linears = b.linears();
  return b.all_used();
}

EncoderPlan plan_encoder(const EncoderConfig& c, size_t B, size_t T, bool keep_hidden,
                         bool keep_attentions, size_t threads) {
  EncoderPlan p;
  p.max_batch = B;
  p.max_seq = T;
  p.keep_hidden = keep_hidden;
  p.keep_attentions = keep_attentions;
  const size_t H = size_t(c.hidden_size), I = size_t(c.intermediate_size), L = size_t(c.num_layers);
  const size_t heads = size_t(c.num_heads), BT = B * T, f = sizeof(float);
  // Steps: 0 embed | per layer: 1 pre-norm, 2 qkv, 3 attention, 4 out proj, 5 residual+norm,
  // 6 pre-norm, 7 ffn in, 8 ffn out, 9 residual+norm | 10 pooler, 11 classifier, 12 probabilities.
  // Buffers live within a layer's steps are reused by every layer.
  const int kEnd = 12;
  MemoryPlan& m = p.memory;
  p.ids = m.add(product(BT, 4), 0, kEnd);
  p.mask = m.add(product(BT, 4), 0, kEnd);
  p.types = m.add(product(BT, 4), 0, kEnd);
  p.hidden = m.add(product(keep_hidden ? L + 1 : 1, BT, H, f), 0, kEnd);
  p.attentions = m.add(keep_attentions ? product(L, B, heads, T, T, f) : 0, 0, kEnd);
  p.scores = m.add(product(threads, attention_scratch_floats(T, T, H / heads), f), 3, 3);
  p.normed = m.add(c.norm_first ? product(BT, H, f) : 0, 1, 7);
  p.qkv = m.add(product(BT, 3, H, f), 2, 3);
  p.ctx = m.add(product(BT, H, f), 3, 4);
  p.tmp = m.add(product(BT, H, f), 4, 9);
  p.ffn = m.add(product(BT, I, f), 7, 8);
  p.act_q_stride = (std::max(H, I) + 3) / 4 * 4;
  p.act_q = m.add(product(BT, p.act_q_stride), 2, 11);
  p.act_scale = m.add(product(BT, f), 2, 11);
  p.pooled = m.add(product(B, H, f), 10, kEnd);
  p.logits = m.add(product(B, c.num_labels, f), 11, kEnd);
  p.probs = m.add(product(B, c.num_labels, f), 12, kEnd);
  m.plan();
  return p;
}

EncoderBuffers resolve_buffers(const EncoderPlan& p, uint8_t* arena) {
  auto f = [&](int i) { return reinterpret_cast<float*>(arena + p.memory.offset(i)); };
  auto n = [&](int i) { return reinterpret_cast<int32_t*>(arena + p.memory.offset(i)); };
  return EncoderBuffers{n(p.ids),    n(p.mask),  n(p.types),  f(p.hidden), f(p.attentions),
                        f(p.scores), f(p.qkv),   f(p.ctx),    f(p.tmp),    f(p.normed),
                        f(p.ffn),    f(p.pooled), f(p.logits), f(p.probs)};
}

namespace {

void embed(const EncoderConfig& c, const EncoderWeights& w, const OpContext& ctx, const EncoderBuffers& buf, size_t batch,
           size_t seq, float* x) {
  const size_t H = size_t(c.hidden_size), count = batch * seq;
  // Same order of additions as Hugging Face: (word + token_type) + position.
  embedding_gather(*w.word, buf.ids, count, x);
  if (w.token_type) embedding_add(*w.token_type, buf.types, count, x);
  if (w.position) {
    int32_t positions[1] = {0};
    for (size_t b = 0; b < batch; ++b)
      for (size_t t = 0; t < seq; ++t) {
        positions[0] = int32_t(t);
        embedding_add(*w.position, positions, 1, x + (b * seq + t) * H);
      }
  }
  if (c.embedding_norm) layer_norm(ctx, x, nullptr, count, H, w.embedding_norm, c.layer_norm_eps, x);
}

// BERT's self-attention: fused qkv rows [q | k | v], scores scaled by 1/sqrt(head_dim).
void self_attend(const OpContext& ctx, const EncoderBuffers& buf, size_t batch, size_t seq, size_t heads,
                 size_t head_dim, float* probs, bool keep_probs) {
  const size_t H = heads * head_dim;
  Attention a;
  a.sequences = batch;
  a.queries = a.keys = a.kv_rows = a.key_mask_stride = seq;
  a.heads = heads;
  a.head_dim = head_dim;
  a.q = buf.qkv;
  a.k = buf.qkv + H;
  a.v = buf.qkv + 2 * H;
  a.q_stride = a.kv_stride = 3 * H;
  a.key_mask = buf.mask;
  a.scale = 1.0f / std::sqrt(float(head_dim));
  a.scores = buf.scores;
  if (keep_probs) a.probs = probs;
  a.ctx = buf.ctx;
  a.ctx_stride = H;
  attention(ctx, a);
}

}  // namespace

void run_encoder(const EncoderConfig& c, const EncoderWeights& w, const OpContext& ctx,
                 const EncoderPlan& plan, const EncoderBuffers& buf, size_t batch, size_t seq) {
  const size_t H = size_t(c.hidden_size), I = size_t(c.intermediate_size), M = batch * seq;
  const size_t heads = size_t(c.num_heads), head_dim = H / heads;
  const float eps = c.layer_norm_eps;
  const Epilogue act = epilogue_for(c.activation);
  float* x = buf.hidden;
  embed(c, w, ctx, buf, batch, seq, x);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const EncoderLayer& L = w.layers[l];
    float* in = plan.keep_hidden ? buf.hidden + l * M * H : x;
    float* out = plan.keep_hidden ? in + M * H : x;
    float* probs = plan.keep_attentions ? buf.attentions + l * batch * heads * seq * seq
                                        : buf.attentions;
    if (!c.norm_first) {  // post-norm: BERT, torch default
      linear(ctx, L.qkv, in, H, M, buf.qkv, 3 * H, Epilogue::kNone);
      self_attend(ctx, buf, batch, seq, heads, head_dim, probs, plan.keep_attentions);
      linear(ctx, L.attn_out, buf.ctx, H, M, buf.tmp, H, Epilogue::kNone);
      layer_norm(ctx, buf.tmp, in, M, H, L.attn_norm, eps, out);
      linear(ctx, L.ffn_in, out, H, M, buf.ffn, I, act);
      linear(ctx, L.ffn_out, buf.ffn, I, M, buf.tmp, H, Epilogue::kNone);
      layer_norm(ctx, buf.tmp, out, M, H, L.ffn_norm, eps, out);
    } else {  // pre-norm: x + attn(norm1(x)), then x + ffn(norm2(x))
      layer_norm(ctx, in, nullptr, M, H, L.attn_norm, eps, buf.normed);
      linear(ctx, L.qkv, buf.normed, H, M, buf.qkv, 3 * H, Epilogue::kNone);
      self_attend(ctx, buf, batch, seq, heads, head_dim, probs, plan.keep_attentions);
      linear(ctx, L.attn_out, buf.ctx, H, M, buf.tmp, H, Epilogue::kNone);
      if (out != in) std::memcpy(out, in, M * H * sizeof(float));
      add_inplace(out, buf.tmp, M * H);
      layer_norm(ctx, out, nullptr, M, H, L.ffn_norm, eps, buf.normed);
      linear(ctx, L.ffn_in, buf.normed, H, M, buf.ffn, I, act);
      linear(ctx, L.ffn_out, buf.ffn, I, M, buf.tmp, H, Epilogue::kNone);
      add_inplace(out, buf.tmp, M * H);
    }
  }
  float* last = plan.keep_hidden ? buf.hidden + w.layers.size() * M * H : x;
  if (c.final_norm) layer_norm(ctx, last, nullptr, M, H, w.final_norm, eps, last);
  // Classification reads the first token of each sequence: rows b * seq.
  const float* cls = last;
  size_t ld = seq * H;
  if (c.pooler) {
    linear(ctx, w.pooler, last, seq * H, batch, buf.pooled, H, Epilogue::kTanh);
    cls = buf.pooled;
    ld = H;
  }
  linear(ctx, w.classifier, cls, ld, batch, buf.logits, size_t(c.num_labels), Epilogue::kNone);
}

}  // namespace tern
