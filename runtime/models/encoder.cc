#include "models/encoder.h"

#include "layers/embedding.h"
#include "models/binder.h"

#include <algorithm>
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
  e.embedding_size = c->embedding_size() ? c->embedding_size() : c->hidden_size();
  e.positions_from_padding = c->positions_from_padding();
  e.num_layer_groups = c->num_layer_groups() ? c->num_layer_groups() : c->num_layers();
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
  TERN_CHECK_OR_RETURN(in_range(e.embedding_size, 1, kMaxDim), Code::kInvalidModel,
                       "config: embedding_size=%d is out of range", e.embedding_size);
  TERN_CHECK_OR_RETURN(in_range(e.num_layer_groups, 1, e.num_layers), Code::kInvalidModel,
                       "config: num_layer_groups=%d is not in 1..num_layers=%d", e.num_layer_groups, e.num_layers);
  TERN_CHECK_OR_RETURN(!e.positions_from_padding ||
                           in_range(e.pad_token_id, 0, e.max_position_embeddings - 2),
                       Code::kInvalidModel, "config: positions from padding need pad_token_id=%d below "
                       "max_position_embeddings=%d - 1", e.pad_token_id, e.max_position_embeddings);
  TERN_CHECK_OR_RETURN(c->head() >= fb::Head::MIN && c->head() <= fb::Head::MAX &&
                           c->label_output() >= fb::LabelOutput::MIN && c->label_output() <= fb::LabelOutput::MAX &&
                           c->pooling() >= fb::Pooling::MIN && c->pooling() <= fb::Pooling::MAX,
                       Code::kInvalidModel, "config: unknown head %d, label output %d or pooling %d",
                       int(c->head()), int(c->label_output()), int(c->pooling()));
  e.head = Head(int(c->head()));
  e.label_output = LabelOutput(int(c->label_output()));
  e.pooling = Pooling(int(c->pooling()));
  e.normalize = c->normalize();
  const int min_labels = e.head == Head::kEmbedding ? 0 : 1;
  TERN_CHECK_OR_RETURN(in_range(e.num_labels, min_labels, 1 << 20), Code::kInvalidModel,
                       "config: num_labels=%d is out of range", e.num_labels);
  TERN_CHECK_OR_RETURN(e.layer_norm_eps > 0 && e.layer_norm_eps < 1, Code::kInvalidModel,
                       "config: layer_norm_eps=%g is out of range", e.layer_norm_eps);
  TERN_RETURN_IF_ERROR(activation_from(c->activation(), &e.activation));
  return activation_from(c->pooler_activation(), &e.pooler_activation);
}

}  // namespace

Status bind_encoder(const Blob& blob, EncoderConfig* config, EncoderWeights* w) {
  TERN_RETURN_IF_ERROR(read_config(blob.model().encoder(), config));
  const EncoderConfig& c = *config;
  const int64_t H = c.hidden_size, I = c.intermediate_size, E = c.embedding_size;
  Binder b(blob);
  TERN_RETURN_IF_ERROR(b.embedding("embed.word", c.vocab_size, E, &w->word));
  if (c.max_position_embeddings)
    TERN_RETURN_IF_ERROR(b.embedding("embed.position", c.max_position_embeddings, E, &w->position));
  if (c.type_vocab_size)
    TERN_RETURN_IF_ERROR(b.embedding("embed.token_type", c.type_vocab_size, E, &w->token_type));
  if (c.embedding_norm) TERN_RETURN_IF_ERROR(b.norm("embed.norm", E, &w->embedding_norm));
  if (E != H) TERN_RETURN_IF_ERROR(b.linear("embed.project", H, E, &w->embedding_project));
  w->layers.resize(size_t(c.num_layer_groups));
  for (int l = 0; l < c.num_layer_groups; ++l) {
    const std::string p = "layers." + std::to_string(l);
    EncoderLayer& L = w->layers[size_t(l)];
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.qkv", 3 * H, H, &L.qkv));
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.out", H, H, &L.attn_out));
    TERN_RETURN_IF_ERROR(b.norm(p + ".attn.norm", H, &L.attn_norm));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.in", I, H, &L.ffn.in));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.out", H, I, &L.ffn.out));
    TERN_RETURN_IF_ERROR(b.norm(p + ".ffn.norm", H, &L.ffn_norm));
  }
  if (c.final_norm) TERN_RETURN_IF_ERROR(b.norm("final_norm", H, &w->final_norm));
  if (c.pooler) TERN_RETURN_IF_ERROR(b.linear("pooler", H, H, &w->pooler));
  if (c.head != Head::kEmbedding) TERN_RETURN_IF_ERROR(b.linear("classifier", c.num_labels, H, &w->classifier));
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
  const size_t E = size_t(c.embedding_size), heads = size_t(c.num_heads), BT = B * T, f = sizeof(float);
  // Steps (EncoderStep): buffers live within a layer's steps are reused by every layer.
  const int kEnd = kScores;
  // Rows the classifier reads: one per text, or every token.
  const size_t label_rows = c.head == Head::kTokenClassification ? BT : B;
  MemoryPlan& m = p.memory;
  m.name_steps({"embed", "pre_norm", "qkv", "attend", "out_proj", "attn_norm", "ffn_pre_norm", "ffn_in", "ffn_out",
                "ffn_norm", "pool", "classify", "scores"});
  p.ids = m.add("ids", product(BT, 4), 0, kEnd, true);
  p.mask = m.add("mask", product(BT, 4), 0, kEnd, true);
  p.types = m.add("types", product(BT, 4), 0, kEnd, true);
  p.hidden = m.add("hidden", product(keep_hidden ? L + 1 : 1, BT, H, f), 0, kEnd);
  p.embedded = m.add("embedded", E != H ? product(BT, E, f) : 0, kEmbed, kEmbed);
  p.attentions = m.add("attentions", keep_attentions ? product(L, B, heads, T, T, f) : 0, 0, kEnd);
  p.scores = m.add("scores", product(threads, attention_scratch_floats(T, T, H / heads), f), kAttend, kAttend);
  p.normed = m.add("normed", c.norm_first ? product(BT, H, f) : 0, kPreNorm, kFfnIn);
  p.qkv = m.add("qkv", product(BT, 3, H, f), kQkv, kAttend);
  p.ctx = m.add("ctx", product(BT, H, f), kAttend, kOutProj);
  p.tmp = m.add("tmp", product(BT, H, f), kOutProj, kFfnNorm);
  p.ffn = m.add("ffn", product(BT, I, f), kFfnIn, kFfnOut);
  p.act_q_stride = (std::max({H, I, E}) + 3) / 4 * 4;
  p.act_q = m.add("act_q", product(BT, p.act_q_stride), kEmbed, kClassify);
  p.act_scale = m.add("act_scale", product(BT, f), kEmbed, kClassify);
  p.pooled = m.add("pooled", product(B, H, f), kPool, kEnd);
  p.logits = m.add("logits", product(label_rows, c.num_labels, f), kClassify, kEnd);
  p.probs = m.add("probs", product(label_rows, c.num_labels, f), kScores, kEnd);
  m.plan();
  return p;
}

EncoderBuffers resolve_buffers(const EncoderPlan& p, uint8_t* arena) {
  auto f = [&](int i) { return reinterpret_cast<float*>(arena + p.memory.offset(i)); };
  auto n = [&](int i) { return reinterpret_cast<int32_t*>(arena + p.memory.offset(i)); };
  return EncoderBuffers{arena, n(p.ids),    n(p.mask),   n(p.types),  f(p.hidden), f(p.embedded), f(p.attentions),
                        f(p.scores), f(p.qkv),    f(p.ctx),    f(p.tmp),    f(p.normed),   f(p.ffn),
                        f(p.pooled), f(p.logits), f(p.probs)};
}

namespace {

// Word + token type + position embeddings (Hugging Face's order of additions), the embedding
// norm, and the projection to hidden_size when the embeddings are narrower (ELECTRA, ALBERT).
void embed(const EncoderConfig& c, const EncoderWeights& w, const OpContext& ctx, const EncoderBuffers& buf, size_t batch,
           size_t seq, float* x) {
  const size_t H = size_t(c.hidden_size), E = size_t(c.embedding_size), count = batch * seq;
  float* e = E != H ? buf.embedded : x;
  embedding_gather(*w.word, buf.ids, count, e);
  if (w.token_type) embedding_add(*w.token_type, buf.types, count, e);
  if (w.position && c.positions_from_padding)
    add_positions_after_padding(*w.position, buf.ids, c.pad_token_id, batch, seq, e);
  else if (w.position)
    add_positions(*w.position, batch, seq, 0, e);
  if (c.embedding_norm) layer_norm(ctx, e, nullptr, count, E, w.embedding_norm, c.layer_norm_eps, e);
  if (E != H) linear(ctx, w.embedding_project, e, E, count, x, H, Epilogue::kNone);
}

// Sentence-transformers pooling: the mean of the unmasked tokens (or the first token), then
// optionally L2-normalized, as its Pooling and Normalize modules compute them.
void pool(const EncoderConfig& c, const float* h, const int32_t* mask, size_t batch, size_t seq, float* out) {
  const size_t H = size_t(c.hidden_size);
  for (size_t b = 0; b < batch; ++b) {
    float* v = out + b * H;
    if (c.pooling == Pooling::kFirstToken) {
      std::memcpy(v, h + b * seq * H, H * sizeof(float));
    } else {
      std::fill(v, v + H, 0.0f);
      float count = 0;
      for (size_t t = 0; t < seq; ++t) {
        if (!mask[b * seq + t]) continue;
        count += 1;
        const float* row = h + (b * seq + t) * H;
        for (size_t i = 0; i < H; ++i) v[i] += row[i];
      }
      const float d = std::max(count, 1e-9f);
      for (size_t i = 0; i < H; ++i) v[i] /= d;
    }
    if (c.normalize) {
      float sq = 0;
      for (size_t i = 0; i < H; ++i) sq += v[i] * v[i];
      const float d = std::max(std::sqrt(sq), 1e-12f);
      for (size_t i = 0; i < H; ++i) v[i] /= d;
    }
  }
}

// The layers' shape: post-norm BERT and torch (norm_first=False) or pre-norm torch, LayerNorm,
// attention scaled by 1/sqrt(head_dim), a plain feed-forward.
LayerSpec layer_spec(const EncoderConfig& c) {
  LayerSpec s;
  s.d_model = size_t(c.hidden_size);
  s.attention.heads = size_t(c.num_heads);
  s.attention.head_dim = size_t(c.hidden_size / c.num_heads);
  s.attention.scale = 1.0f / std::sqrt(float(s.attention.head_dim));
  s.norm.kind = NormKind::kLayer;
  s.norm.eps = c.layer_norm_eps;
  s.norm.post = !c.norm_first;
  s.ffn.activation = c.activation;
  return s;
}

// The head on the last hidden state: pooled vectors (Embedding), or logits per text from its
// first token (through the pooler when there is one) or per token.
void run_head(const EncoderConfig& c, const EncoderWeights& w, const OpContext& ctx, const EncoderBuffers& buf,
              size_t batch, size_t seq, const float* last) {
  const size_t H = size_t(c.hidden_size), labels = size_t(c.num_labels);
  switch (c.head) {
    case Head::kEmbedding:
      pool(c, last, buf.mask, batch, seq, buf.pooled);
      return;
    case Head::kTokenClassification:
      linear(ctx, w.classifier, last, H, batch * seq, buf.logits, labels, Epilogue::kNone);
      return;
    case Head::kSequenceClassification: {
      // The first token of each sequence: rows b * seq.
      const float* cls = last;
      size_t ld = seq * H;
      if (c.pooler) {
        linear(ctx, w.pooler, last, seq * H, batch, buf.pooled, H, epilogue_of(c.pooler_activation));
        cls = buf.pooled;
        ld = H;
      }
      linear(ctx, w.classifier, cls, ld, batch, buf.logits, labels, Epilogue::kNone);
      return;
    }
  }
}

}  // namespace

void run_encoder(const EncoderConfig& c, const EncoderWeights& w, const OpContext& ctx,
                 const EncoderPlan& plan, const EncoderBuffers& buf, size_t batch, size_t seq) {
  const size_t H = size_t(c.hidden_size), M = batch * seq;
  const size_t heads = size_t(c.num_heads), L = size_t(c.num_layers);
  const LayerSpec spec = layer_spec(c);
  const LayerScratch scratch{buf.qkv, buf.ctx, buf.tmp, buf.normed, buf.ffn, buf.scores};
  // Debug (SessionOptions::poison_scratch): each step's new buffers start as NaN.
  auto born = [&](std::initializer_list<EncoderStep> steps) {
    if (ctx.poison)
      for (EncoderStep step : steps) plan.memory.poison_born(buf.arena, step);
  };
  float* x = buf.hidden;
  born({kEmbed});
  embed(c, w, ctx, buf, batch, seq, x);
  for (size_t l = 0; l < L; ++l) {
    born({kPreNorm, kQkv, kAttend, kOutProj, kAttnNorm, kFfnPreNorm, kFfnIn, kFfnOut, kFfnNorm});
    // ALBERT shares weights: layer l runs group l * groups / layers (one group per layer otherwise).
    const EncoderLayer& W = w.layers[l * w.layers.size() / L];
    const float* in = plan.keep_hidden ? buf.hidden + l * M * H : x;
    float* out = plan.keep_hidden ? buf.hidden + (l + 1) * M * H : x;
    float* probs = plan.keep_attentions ? buf.attentions + l * batch * heads * seq * seq : nullptr;
    run_encoder_layer(ctx, spec, W, scratch, batch, seq, buf.mask, nullptr, probs, in, out);
  }
  float* last = plan.keep_hidden ? buf.hidden + L * M * H : x;
  if (c.final_norm) layer_norm(ctx, last, nullptr, M, H, w.final_norm, c.layer_norm_eps, last);
  born({kPool, kClassify});
  run_head(c, w, ctx, buf, batch, seq, last);
}

}  // namespace tern
