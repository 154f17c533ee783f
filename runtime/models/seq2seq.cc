#include "models/seq2seq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "layers/embedding.h"
#include "models/binder.h"

namespace tern {
namespace {

Status read_config(const fb::Seq2SeqConfig* c, Seq2SeqConfig* out) {
  TERN_CHECK_OR_RETURN(c != nullptr, Code::kInvalidModel, "model: encoder-decoder config is missing");
  Seq2SeqConfig& t = *out;
  t.vocab_size = c->vocab_size();
  t.d_model = c->d_model();
  t.d_kv = c->d_kv();
  t.d_ff = c->d_ff();
  t.num_layers = c->num_layers();
  t.num_decoder_layers = c->num_decoder_layers();
  t.num_heads = c->num_heads();
  t.relative_attention_num_buckets = c->relative_attention_num_buckets();
  t.relative_attention_max_distance = c->relative_attention_max_distance();
  t.layer_norm_epsilon = c->layer_norm_epsilon();
  t.gated = c->gated();
  t.tied_embeddings = c->tied_embeddings();
  t.decoder_start_token_id = c->decoder_start_token_id();
  t.eos_token_id = c->eos_token_id();
  t.pad_token_id = c->pad_token_id();
  t.post_norm = c->post_norm();
  t.embedding_scale = c->embedding_scale();
  t.scale_attention = c->scale_attention();
  t.bias = c->bias();
  t.shared_embeddings = c->src_vocab_size() == 0;
  t.src_vocab_size = t.shared_embeddings ? t.vocab_size : c->src_vocab_size();
  auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  TERN_CHECK_OR_RETURN(in(t.vocab_size, 1, 1 << 24) && in(t.src_vocab_size, 1, 1 << 24) && in(t.d_model, 1, 1 << 16) &&
                           in(t.d_kv, 1, 1 << 12) && in(t.d_ff, 1, 1 << 18) && in(t.num_heads, 1, 1024) &&
                           in(t.num_layers, 1, 1024) && in(t.num_decoder_layers, 1, 1024),
                       Code::kInvalidModel, "config: an encoder-decoder dimension is out of range");
  TERN_CHECK_OR_RETURN(c->norm() >= fb::NormKind::MIN && c->norm() <= fb::NormKind::MAX &&
                           c->positions() >= fb::Positions::MIN && c->positions() <= fb::Positions::MAX,
                       Code::kInvalidModel, "config: unknown norm %d or positions %d", int(c->norm()),
                       int(c->positions()));
  t.norm = NormKind(int(c->norm()));
  t.relative_positions = c->positions() == fb::Positions::RelativeBuckets;
  if (t.relative_positions)
    TERN_CHECK_OR_RETURN(in(t.relative_attention_num_buckets, 2, 1 << 12) &&
                             in(t.relative_attention_max_distance, 2, 1 << 20),
                         Code::kInvalidModel, "config: relative attention buckets/distance out of range");
  else
    t.max_positions = c->max_positions();
  TERN_CHECK_OR_RETURN(t.relative_positions || in(t.max_positions, 2, 1 << 20), Code::kInvalidModel,
                       "config: max_positions=%d is out of range", t.max_positions);
  TERN_CHECK_OR_RETURN(t.layer_norm_epsilon > 0 && t.layer_norm_epsilon < 1, Code::kInvalidModel,
                       "config: layer_norm_epsilon=%g is out of range", t.layer_norm_epsilon);
  TERN_CHECK_OR_RETURN(std::isfinite(t.embedding_scale) && t.embedding_scale > 0, Code::kInvalidModel,
                       "config: embedding_scale=%g is not a finite number > 0", t.embedding_scale);
  TERN_CHECK_OR_RETURN(!t.tied_embeddings || t.shared_embeddings, Code::kInvalidModel,
                       "config: tied embeddings need one table for both sides");
  for (int id : {t.decoder_start_token_id, t.eos_token_id, t.pad_token_id})
    TERN_CHECK_OR_RETURN(in(id, 0, t.vocab_size - 1), Code::kInvalidModel,
                         "config: special token id %d is outside the vocab of %d", id, t.vocab_size);
  return activation_from(c->activation(), &t.activation);
}

// A norm of the config's kind: RMSNorm has a weight only.
Status bind_norm(Binder& b, const Seq2SeqConfig& c, const std::string& name, int64_t dim, Norm* out) {
  if (c.norm == NormKind::kLayer) return b.norm(name, dim, out);
  return b.f32(name + ".weight", dim, &out->weight);
}

}  // namespace

LayerSpec Seq2SeqConfig::layer() const {
  LayerSpec s;
  s.d_model = size_t(d_model);
  s.attention.heads = size_t(num_heads);
  s.attention.head_dim = size_t(d_kv);
  s.attention.scale = scale_attention ? 1.0f / std::sqrt(float(d_kv)) : 1.0f;
  s.norm.kind = norm;
  s.norm.eps = layer_norm_epsilon;
  s.norm.post = post_norm;
  s.ffn.activation = activation;
  s.ffn.gated = gated;
  return s;
}

Status bind_seq2seq(const Blob& blob, Seq2SeqConfig* config, Seq2SeqWeights* w) {
  TERN_RETURN_IF_ERROR(read_config(blob.model().seq2seq(), config));
  const Seq2SeqConfig& c = *config;
  const int64_t D = c.d_model, inner = int64_t(c.d_kv) * c.num_heads, F = c.d_ff, V = c.vocab_size;
  const int64_t ffn_rows = c.gated ? 2 * F : F, buckets = c.relative_attention_num_buckets;
  const bool no_bias = !c.bias;
  Binder b(blob);
  if (c.shared_embeddings) {
    TERN_RETURN_IF_ERROR(b.embedding("embed", V, D, &w->dec_embed));
    w->enc_embed = w->dec_embed;
  } else {
    TERN_RETURN_IF_ERROR(b.embedding("enc.embed", c.src_vocab_size, D, &w->enc_embed));
    TERN_RETURN_IF_ERROR(b.embedding("dec.embed", V, D, &w->dec_embed));
  }
  TERN_RETURN_IF_ERROR(b.linear("lm_head", V, D, &w->lm_head, no_bias));
  if (c.relative_positions) {
    TERN_RETURN_IF_ERROR(b.f32("enc.rel_bias", {buckets, c.num_heads}, &w->enc_rel_bias));
    TERN_RETURN_IF_ERROR(b.f32("dec.rel_bias", {buckets, c.num_heads}, &w->dec_rel_bias));
  } else {
    TERN_RETURN_IF_ERROR(b.embedding("position", c.max_positions, D, &w->position));
  }
  TERN_RETURN_IF_ERROR(bind_norm(b, c, "enc.final_norm", D, &w->enc_final_norm));
  TERN_RETURN_IF_ERROR(bind_norm(b, c, "dec.final_norm", D, &w->dec_final_norm));
  auto ffn = [&](const std::string& p, FeedForward& f, Norm& norm) {
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.in", ffn_rows, D, &f.in, no_bias));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.out", D, F, &f.out, no_bias));
    return bind_norm(b, c, p + ".ffn.norm", D, &norm);
  };
  // A self-attention block `p`: fused q|k|v, output projection, its norm.
  auto self_attention = [&](const std::string& p, Linear& qkv, Linear& out, Norm& norm) {
    TERN_RETURN_IF_ERROR(b.linear(p + ".qkv", 3 * inner, D, &qkv, no_bias));
    TERN_RETURN_IF_ERROR(b.linear(p + ".out", D, inner, &out, no_bias));
    return bind_norm(b, c, p + ".norm", D, &norm);
  };
  w->enc.resize(size_t(c.num_layers));
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "enc.layers." + std::to_string(l);
    EncoderLayer& L = w->enc[size_t(l)];
    TERN_RETURN_IF_ERROR(self_attention(p + ".attn", L.qkv, L.attn_out, L.attn_norm));
    TERN_RETURN_IF_ERROR(ffn(p, L.ffn, L.ffn_norm));
  }
  w->dec.resize(size_t(c.num_decoder_layers));
  for (int l = 0; l < c.num_decoder_layers; ++l) {
    const std::string p = "dec.layers." + std::to_string(l);
    DecoderLayer& L = w->dec[size_t(l)];
    TERN_RETURN_IF_ERROR(self_attention(p + ".self", L.self_qkv, L.self_out, L.self_norm));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.q", inner, D, &L.cross_q, no_bias));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.kv", 2 * inner, D, &L.cross_kv, no_bias));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.out", D, inner, &L.cross_out, no_bias));
    TERN_RETURN_IF_ERROR(bind_norm(b, c, p + ".cross.norm", D, &L.cross_norm));
    TERN_RETURN_IF_ERROR(ffn(p, L.ffn, L.ffn_norm));
  }
  w->linears = b.linears();
  return b.all_used();
}

int relative_position_bucket(int relative_position, bool bidirectional, int num_buckets, int max_distance) {
  int bucket = 0, n = num_buckets, rp = relative_position;
  if (bidirectional) {
    n /= 2;
    if (rp > 0) bucket += n;
    rp = std::abs(rp);
  } else {
    rp = -std::min(rp, 0);
  }
  const int max_exact = n / 2;
  if (rp < max_exact) return bucket + rp;
  // float32 throughout, as torch computes it: log(rp / max_exact) / log(max_distance / max_exact)
  const float ratio = std::log(float(rp) / float(max_exact)) / float(std::log(double(max_distance) / max_exact));
  const int large = max_exact + int(ratio * float(n - max_exact));
  return bucket + std::min(large, n - 1);
}

Seq2SeqPlan plan_seq2seq(const Seq2SeqConfig& c, size_t B, size_t S, size_t P, size_t beams, bool keep_hidden,
                         size_t threads, MemoryPlan* m) {
  Seq2SeqPlan p;
  p.max_batch = B;
  p.max_src = S;
  p.max_positions = P;
  p.beams = beams;
  p.rows = B * beams;
  p.keep_hidden = keep_hidden;
  const size_t D = size_t(c.d_model), inner = product(c.d_kv, c.num_heads), F = size_t(c.d_ff);
  const size_t H = size_t(c.num_heads), V = size_t(c.vocab_size), Le = size_t(c.num_layers);
  const size_t Ld = size_t(c.num_decoder_layers), f = sizeof(float);
  const size_t work = std::max(B * S, p.rows), ffn = c.gated ? product(2, F) : F;
  const bool relative = c.relative_positions;
  p.src_ids = m->add("src_ids", product(B, S, 4), kEncoding, kResults, true);
  p.src_mask = m->add("src_mask", product(B, S, 4), kEncoding, kResults, true);
  p.enc_hidden = m->add("enc_hidden", product(keep_hidden ? Le + 1 : 1, B, S, D, f), kEncoding, kResults);
  p.enc_bias = m->add("enc_bias", relative ? product(H, S, S, f) : 0, kEncoding, kEncoding);
  p.qkv = m->add("qkv", product(work, 3, inner, f), kEncoding, kDecoding);
  p.ctx = m->add("ctx", product(work, inner, f), kEncoding, kDecoding);
  p.tmp = m->add("tmp", product(work, D, f), kEncoding, kDecoding);
  p.normed = m->add("normed", product(work, D, f), kEncoding, kDecoding);
  p.ffn = m->add("ffn", product(work, ffn, f), kEncoding, kDecoding);
  p.scores = m->add("scores", product(threads, attention_scratch_floats(std::max(S, P), std::max(S, P), size_t(c.d_kv)), f),
                    kEncoding, kDecoding);
  p.cross_kv = m->add("cross_kv", product(Ld, B, S, 2, inner, f), kEncoding, kDecoding);
  p.self_kv = m->add("self_kv", product(Ld, p.rows, P, 2, inner, f), kDecoding, kDecoding);
  p.kv_swap = m->add("kv_swap", beams > 1 ? product(p.rows, P, 2, inner, f) : 0, kDecoding, kDecoding);
  // Filled at creation, read by every decoder step.
  p.dec_bias = m->add("dec_bias", relative ? product(H, P, P, f) : 0, kEncoding, kResults, true);
  p.dec_hidden = m->add("dec_hidden", product(p.rows, D, f), kDecoding, kDecoding);
  p.logits = m->add("logits", product(p.rows, V, f), kDecoding, kResults);
  p.act_q_stride = (std::max({D, inner, F}) + 3) / 4 * 4;  // meaningless only in a plan that does not fit
  p.act_q = m->add("act_q", product(work, p.act_q_stride), kEncoding, kDecoding);
  p.act_scale = m->add("act_scale", product(work, f), kEncoding, kDecoding);
  return p;
}

Seq2SeqBuffers resolve_seq2seq(const Seq2SeqPlan& p, const MemoryPlan& m, uint8_t* arena) {
  auto f = [&](int i) { return reinterpret_cast<float*>(arena + m.offset(i)); };
  auto n = [&](int i) { return reinterpret_cast<int32_t*>(arena + m.offset(i)); };
  return Seq2SeqBuffers{n(p.src_ids), n(p.src_mask), f(p.enc_hidden), f(p.enc_bias), f(p.qkv),
                        f(p.ctx),     f(p.tmp),      f(p.normed),     f(p.ffn),      f(p.scores),
                        f(p.cross_kv), f(p.self_kv), f(p.kv_swap),    f(p.dec_bias), f(p.dec_hidden),
                        f(p.logits)};
}

void init_decoder_bias(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const Seq2SeqPlan& p, const Seq2SeqBuffers& b) {
  if (!c.relative_positions) return;
  const size_t P = p.max_positions, H = size_t(c.num_heads);
  // The bias depends on j - i only: one bucket (a log) per diagonal, not per (i, j) pair.
  for (ptrdiff_t d = 1 - ptrdiff_t(P); d < ptrdiff_t(P); ++d) {
    const int bucket = relative_position_bucket(int(d), false, c.relative_attention_num_buckets,
                                                c.relative_attention_max_distance);
    const float* row = w.dec_rel_bias + size_t(bucket) * H;
    for (size_t i = d < 0 ? size_t(-d) : 0; i < P && ptrdiff_t(i) + d < ptrdiff_t(P); ++i) {
      const size_t j = size_t(ptrdiff_t(i) + d);
      for (size_t h = 0; h < H; ++h) b.dec_bias[(h * P + i) * P + j] = row[h];
    }
  }
}

namespace {

// T5's encoder position bias [heads, seq, seq] from the buckets of j - i.
void fill_encoder_bias(const Seq2SeqConfig& c, const Seq2SeqWeights& w, size_t seq, float* bias) {
  const size_t H = size_t(c.num_heads);
  for (size_t i = 0; i < seq; ++i)
    for (size_t j = 0; j < seq; ++j) {
      const int bucket = relative_position_bucket(int(j) - int(i), true, c.relative_attention_num_buckets,
                                                  c.relative_attention_max_distance);
      for (size_t h = 0; h < H; ++h) bias[(h * seq + i) * seq + j] = w.enc_rel_bias[size_t(bucket) * H + h];
    }
}

}  // namespace

const float* seq2seq_encoder_output(const Seq2SeqConfig& c, const Seq2SeqPlan& p, const Seq2SeqBuffers& buf,
                                    size_t batch, size_t seq) {
  return p.keep_hidden ? buf.enc_hidden + size_t(c.num_layers) * batch * seq * size_t(c.d_model) : buf.enc_hidden;
}

void run_seq2seq_encoder(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const OpContext& ctx, const Seq2SeqPlan& p,
                         const Seq2SeqBuffers& buf, size_t batch, size_t seq) {
  const size_t D = size_t(c.d_model), inner = size_t(c.d_kv) * size_t(c.num_heads), M = batch * seq;
  const LayerSpec spec = c.layer();
  if (c.relative_positions) fill_encoder_bias(c, w, seq, buf.enc_bias);
  token_embeddings(*w.enc_embed, buf.src_ids, M, c.embedding_scale, buf.enc_hidden);
  if (w.position) add_positions(*w.position, batch, seq, 0, buf.enc_hidden);
  for (size_t l = 0; l < w.enc.size(); ++l) {
    float* in = p.keep_hidden ? buf.enc_hidden + l * M * D : buf.enc_hidden;
    float* out = p.keep_hidden ? in + M * D : in;
    run_encoder_layer(ctx, spec, w.enc[l], buf.scratch(), batch, seq, buf.src_mask,
                      c.relative_positions ? buf.enc_bias : nullptr, nullptr, in, out);
  }
  float* out = const_cast<float*>(seq2seq_encoder_output(c, p, buf, batch, seq));
  apply_norm(ctx, spec.norm, w.enc_final_norm, out, nullptr, M, D, out);
  for (size_t l = 0; l < w.dec.size(); ++l)
    linear(ctx, w.dec[l].cross_kv, out, D, M, buf.cross_kv + l * p.max_batch * p.max_src * 2 * inner,
           2 * inner, Epilogue::kNone);
}

void run_decoder_position(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const OpContext& ctx,
                          const Seq2SeqPlan& p, const Seq2SeqBuffers& buf, const int32_t* ids,
                          const int32_t* dec_mask, size_t dec_mask_stride, size_t rows, size_t beams_per_input,
                          size_t src_len, size_t pos, float* hidden_out, size_t layer_stride, size_t row_stride) {
  const size_t D = size_t(c.d_model), inner = size_t(c.d_kv) * size_t(c.num_heads);
  const size_t P = p.max_positions, kv_row = 2 * inner;
  const LayerSpec spec = c.layer();
  float* x = buf.dec_hidden;
  auto keep = [&](size_t slot) {
    if (!hidden_out) return;
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(hidden_out + slot * layer_stride + r * row_stride, x + r * D, D * sizeof(float));
  };
  token_embeddings(*w.dec_embed, ids, rows, c.embedding_scale, x);
  if (w.position) add_positions(*w.position, rows, 1, pos, x);
  keep(0);
  DecoderPosition at;
  at.rows = rows;
  at.pos = pos;
  at.cache_rows = P;
  at.self_mask = dec_mask;
  at.self_mask_stride = dec_mask_stride;
  at.self_bias = c.relative_positions ? buf.dec_bias : nullptr;
  at.src_mask = buf.src_mask;
  at.src_len = src_len;
  at.group = beams_per_input;
  for (size_t l = 0; l < w.dec.size(); ++l) {
    at.cache = buf.self_kv + l * p.rows * P * kv_row;
    at.cross_kv = buf.cross_kv + l * p.max_batch * p.max_src * kv_row;
    run_decoder_layer(ctx, spec, w.dec[l], buf.scratch(), at, x);
    if (l + 1 < w.dec.size()) keep(l + 1);
  }
  apply_norm(ctx, spec.norm, w.dec_final_norm, x, nullptr, rows, D, x);
  keep(w.dec.size());
  if (c.tied_embeddings) {  // T5's tied head sees the decoder output scaled by d_model^-0.5
    const float scale = 1.0f / std::sqrt(float(D));
    for (size_t i = 0; i < rows * D; ++i) x[i] *= scale;
  }
  linear(ctx, w.lm_head, x, D, rows, buf.logits, size_t(c.vocab_size), Epilogue::kNone);
}

void reorder_decoder_cache(const Seq2SeqConfig& c, const Seq2SeqPlan& p, const Seq2SeqBuffers& buf,
                           const int32_t* from, size_t rows, size_t positions) {
  const size_t row_floats = p.max_positions * 2 * size_t(c.d_kv) * size_t(c.num_heads);
  const size_t used = positions * 2 * size_t(c.d_kv) * size_t(c.num_heads);
  for (size_t l = 0; l < size_t(c.num_decoder_layers); ++l) {
    float* cache = buf.self_kv + l * p.rows * row_floats;
    for (size_t r = 0; r < rows; ++r) std::memcpy(buf.kv_swap + r * row_floats, cache + size_t(from[r]) * row_floats, used * sizeof(float));
    for (size_t r = 0; r < rows; ++r) std::memcpy(cache + r * row_floats, buf.kv_swap + r * row_floats, used * sizeof(float));
  }
}

}  // namespace tern
