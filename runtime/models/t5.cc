#include "models/t5.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "models/binder.h"

namespace tern {
namespace {

Status read_config(const fb::T5Config* c, T5Config* out) {
  TERN_CHECK_OR_RETURN(c != nullptr, Code::kInvalidModel, "model: T5 config is missing");
  T5Config& t = *out;
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
  auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  TERN_CHECK_OR_RETURN(in(t.vocab_size, 1, 1 << 24) && in(t.d_model, 1, 1 << 16) && in(t.d_kv, 1, 1 << 12) &&
                           in(t.d_ff, 1, 1 << 18) && in(t.num_heads, 1, 1024) &&
                           in(t.num_layers, 1, 1024) && in(t.num_decoder_layers, 1, 1024),
                       Code::kInvalidModel, "config: a T5 dimension is out of range");
  TERN_CHECK_OR_RETURN(in(t.relative_attention_num_buckets, 2, 1 << 12) &&
                           in(t.relative_attention_max_distance, 2, 1 << 20),
                       Code::kInvalidModel, "config: relative attention buckets/distance out of range");
  TERN_CHECK_OR_RETURN(t.layer_norm_epsilon > 0 && t.layer_norm_epsilon < 1, Code::kInvalidModel,
                       "config: layer_norm_epsilon=%g is out of range", t.layer_norm_epsilon);
  for (int id : {t.decoder_start_token_id, t.eos_token_id, t.pad_token_id})
    TERN_CHECK_OR_RETURN(in(id, 0, t.vocab_size - 1), Code::kInvalidModel,
                         "config: special token id %d is outside the vocab of %d", id, t.vocab_size);
  return activation_from(c->activation(), &t.activation);
}

}  // namespace

Status bind_t5(const Blob& blob, T5Config* config, T5Weights* w) {
  TERN_RETURN_IF_ERROR(read_config(blob.model().t5(), config));
  const T5Config& c = *config;
  const int64_t D = c.d_model, inner = int64_t(c.d_kv) * c.num_heads, F = c.d_ff, V = c.vocab_size;
  const int64_t ffn_rows = c.gated ? 2 * F : F, buckets = c.relative_attention_num_buckets;
  Binder b(blob);
  TERN_RETURN_IF_ERROR(b.embedding("embed", V, D, &w->embed));
  TERN_RETURN_IF_ERROR(b.linear("lm_head", V, D, &w->lm_head, true));
  TERN_RETURN_IF_ERROR(b.f32("enc.rel_bias", {buckets, c.num_heads}, &w->enc_rel_bias));
  TERN_RETURN_IF_ERROR(b.f32("dec.rel_bias", {buckets, c.num_heads}, &w->dec_rel_bias));
  TERN_RETURN_IF_ERROR(b.f32("enc.final_norm.weight", D, &w->enc_final_norm));
  TERN_RETURN_IF_ERROR(b.f32("dec.final_norm.weight", D, &w->dec_final_norm));
  auto ffn = [&](const std::string& p, T5Layer& L) {
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.in", ffn_rows, D, &L.ffn_in, true));
    TERN_RETURN_IF_ERROR(b.linear(p + ".ffn.out", D, F, &L.ffn_out, true));
    return b.f32(p + ".ffn.norm.weight", D, &L.ffn_norm);
  };
  w->enc.resize(size_t(c.num_layers));
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "enc.layers." + std::to_string(l);
    T5Layer& L = w->enc[size_t(l)];
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.qkv", 3 * inner, D, &L.self_qkv, true));
    TERN_RETURN_IF_ERROR(b.linear(p + ".attn.out", D, inner, &L.self_out, true));
    TERN_RETURN_IF_ERROR(b.f32(p + ".attn.norm.weight", D, &L.self_norm));
    TERN_RETURN_IF_ERROR(ffn(p, L));
  }
  w->dec.resize(size_t(c.num_decoder_layers));
  for (int l = 0; l < c.num_decoder_layers; ++l) {
    const std::string p = "dec.layers." + std::to_string(l);
    T5Layer& L = w->dec[size_t(l)];
    TERN_RETURN_IF_ERROR(b.linear(p + ".self.qkv", 3 * inner, D, &L.self_qkv, true));
    TERN_RETURN_IF_ERROR(b.linear(p + ".self.out", D, inner, &L.self_out, true));
    TERN_RETURN_IF_ERROR(b.f32(p + ".self.norm.weight", D, &L.self_norm));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.q", inner, D, &L.cross_q, true));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.kv", 2 * inner, D, &L.cross_kv, true));
    TERN_RETURN_IF_ERROR(b.linear(p + ".cross.out", D, inner, &L.cross_out, true));
    TERN_RETURN_IF_ERROR(b.f32(p + ".cross.norm.weight", D, &L.cross_norm));
    TERN_RETURN_IF_ERROR(ffn(p, L));
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

T5Plan plan_t5(const T5Config& c, size_t B, size_t S, size_t P, size_t beams, bool keep_hidden,
               size_t threads, MemoryPlan* m) {
  T5Plan p;
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
  // Steps: 0 encoder, 1 decoding, 2 results.
  p.src_ids = m->add("src_ids", product(B, S, 4), 0, 2, true);
  p.src_mask = m->add("src_mask", product(B, S, 4), 0, 2, true);
  p.enc_hidden = m->add("enc_hidden", product(keep_hidden ? Le + 1 : 1, B, S, D, f), 0, 2);
  p.enc_bias = m->add("enc_bias", product(H, S, S, f), 0, 0);
  p.qkv = m->add("qkv", product(work, 3, inner, f), 0, 1);
  p.ctx = m->add("ctx", product(work, inner, f), 0, 1);
  p.tmp = m->add("tmp", product(work, D, f), 0, 1);
  p.normed = m->add("normed", product(work, D, f), 0, 1);
  p.ffn = m->add("ffn", product(work, ffn, f), 0, 1);
  p.scores = m->add("scores", product(threads, attention_scratch_floats(std::max(S, P), std::max(S, P), size_t(c.d_kv)), f), 0, 1);
  p.cross_kv = m->add("cross_kv", product(Ld, B, S, 2, inner, f), 0, 1);
  p.self_kv = m->add("self_kv", product(Ld, p.rows, P, 2, inner, f), 1, 1);
  p.kv_swap = m->add("kv_swap", beams > 1 ? product(p.rows, P, 2, inner, f) : 0, 1, 1);
  p.dec_bias = m->add("dec_bias", product(H, P, P, f), 0, 2, true);  // filled at creation, read by every decoder step
  p.dec_hidden = m->add("dec_hidden", product(p.rows, D, f), 1, 1);
  p.logits = m->add("logits", product(p.rows, V, f), 1, 2);
  p.act_q_stride = (std::max({D, inner, F}) + 3) / 4 * 4;  // meaningless only in a plan that does not fit
  p.act_q = m->add("act_q", product(work, p.act_q_stride), 0, 1);
  p.act_scale = m->add("act_scale", product(work, f), 0, 1);
  return p;
}

T5Buffers resolve_t5(const T5Plan& p, const MemoryPlan& m, uint8_t* arena) {
  auto f = [&](int i) { return reinterpret_cast<float*>(arena + m.offset(i)); };
  auto n = [&](int i) { return reinterpret_cast<int32_t*>(arena + m.offset(i)); };
  return T5Buffers{n(p.src_ids), n(p.src_mask), f(p.enc_hidden), f(p.enc_bias), f(p.qkv),
                   f(p.ctx), f(p.tmp), f(p.normed), f(p.ffn), f(p.scores), f(p.cross_kv),
                   f(p.self_kv), f(p.kv_swap), f(p.dec_bias), f(p.dec_hidden), f(p.logits)};
}

void init_t5_decoder_bias(const T5Config& c, const T5Weights& w, const T5Plan& p, const T5Buffers& b) {
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

// T5's feed-forward block on M rows of buf.normed, added to x.
void feed_forward(const T5Config& c, const T5Layer& L, const OpContext& ctx, const T5Buffers& buf,
                  size_t M, float* x) {
  const size_t D = size_t(c.d_model), F = size_t(c.d_ff);
  if (!c.gated) {
    linear(ctx, L.ffn_in, buf.normed, D, M, buf.ffn, F, epilogue_of(c.activation));
    linear(ctx, L.ffn_out, buf.ffn, F, M, buf.tmp, D, Epilogue::kNone);
  } else {  // act(x wi_0) * (x wi_1), from one fused GEMM: row = [wi_0 out | wi_1 out]
    linear(ctx, L.ffn_in, buf.normed, D, M, buf.ffn, 2 * F, Epilogue::kNone);
    const Epilogue act = epilogue_of(c.activation);
    // The products are packed to rows of F (row m lands on bytes rows < m have been read from), so
    // that ffn_out reads dense rows: an XNNPACK operator's input stride is fixed at its creation.
    for (size_t m = 0; m < M; ++m) {
      float* row = buf.ffn + m * 2 * F;
      float* product = buf.ffn + m * F;
      ctx.kernels.activation.fn(row, F, act);
      for (size_t i = 0; i < F; ++i) product[i] = row[i] * row[F + i];
    }
    linear(ctx, L.ffn_out, buf.ffn, F, M, buf.tmp, D, Epilogue::kNone);
  }
  add_inplace(x, buf.tmp, M * D);
}

}  // namespace

const float* t5_encoder_output(const T5Config& c, const T5Plan& p, const T5Buffers& buf, size_t batch, size_t seq) {
  return p.keep_hidden ? buf.enc_hidden + size_t(c.num_layers) * batch * seq * size_t(c.d_model) : buf.enc_hidden;
}

void run_t5_encoder(const T5Config& c, const T5Weights& w, const OpContext& ctx, const T5Plan& p,
                    const T5Buffers& buf, size_t batch, size_t seq) {
  const size_t D = size_t(c.d_model), inner = size_t(c.d_kv) * size_t(c.num_heads), H = size_t(c.num_heads);
  const size_t M = batch * seq;
  const float eps = c.layer_norm_epsilon;
  for (size_t i = 0; i < seq; ++i)
    for (size_t j = 0; j < seq; ++j) {
      int bucket = relative_position_bucket(int(j) - int(i), true, c.relative_attention_num_buckets,
                                            c.relative_attention_max_distance);
      for (size_t h = 0; h < H; ++h) buf.enc_bias[(h * seq + i) * seq + j] = w.enc_rel_bias[size_t(bucket) * H + h];
    }
  embedding_gather(*w.embed, buf.src_ids, M, buf.enc_hidden);
  for (size_t l = 0; l < w.enc.size(); ++l) {
    const T5Layer& L = w.enc[l];
    float* in = p.keep_hidden ? buf.enc_hidden + l * M * D : buf.enc_hidden;
    float* x = p.keep_hidden ? in + M * D : in;
    rms_norm(ctx, in, M, D, L.self_norm, eps, buf.normed);
    linear(ctx, L.self_qkv, buf.normed, D, M, buf.qkv, 3 * inner, Epilogue::kNone);
    Attention a;
    a.sequences = batch;
    a.queries = a.keys = a.kv_rows = a.key_mask_stride = a.bias_rows = a.bias_stride = seq;
    a.heads = H;
    a.head_dim = size_t(c.d_kv);
    a.q = buf.qkv;
    a.k = buf.qkv + inner;
    a.v = buf.qkv + 2 * inner;
    a.q_stride = a.kv_stride = 3 * inner;
    a.key_mask = buf.src_mask;
    a.bias = buf.enc_bias;
    a.scores = buf.scores;
    a.ctx = buf.ctx;
    a.ctx_stride = inner;
    attention(ctx, a);
    linear(ctx, L.self_out, buf.ctx, inner, M, buf.tmp, D, Epilogue::kNone);
    if (x != in) std::memcpy(x, in, M * D * sizeof(float));
    add_inplace(x, buf.tmp, M * D);
    rms_norm(ctx, x, M, D, L.ffn_norm, eps, buf.normed);
    feed_forward(c, L, ctx, buf, M, x);
  }
  float* out = const_cast<float*>(t5_encoder_output(c, p, buf, batch, seq));
  rms_norm(ctx, out, M, D, w.enc_final_norm, eps, out);
  for (size_t l = 0; l < w.dec.size(); ++l)
    linear(ctx, w.dec[l].cross_kv, out, D, M, buf.cross_kv + l * p.max_batch * p.max_src * 2 * inner,
           2 * inner, Epilogue::kNone);
}

void run_t5_decoder_step(const T5Config& c, const T5Weights& w, const OpContext& ctx, const T5Plan& p,
                         const T5Buffers& buf, const int32_t* ids, const int32_t* dec_mask,
                         size_t dec_mask_stride, size_t rows, size_t beams_per_input, size_t src_len,
                         size_t pos, float* hidden_out, size_t layer_stride, size_t row_stride) {
  const size_t D = size_t(c.d_model), inner = size_t(c.d_kv) * size_t(c.num_heads), H = size_t(c.num_heads);
  const size_t P = p.max_positions, kv_row = 2 * inner;
  const float eps = c.layer_norm_epsilon;
  float* x = buf.dec_hidden;
  auto keep = [&](size_t slot) {
    if (!hidden_out) return;
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(hidden_out + slot * layer_stride + r * row_stride, x + r * D, D * sizeof(float));
  };
  embedding_gather(*w.embed, ids, rows, x);
  keep(0);
  for (size_t l = 0; l < w.dec.size(); ++l) {
    const T5Layer& L = w.dec[l];
    float* cache = buf.self_kv + l * p.rows * P * kv_row;
    rms_norm(ctx, x, rows, D, L.self_norm, eps, buf.normed);
    linear(ctx, L.self_qkv, buf.normed, D, rows, buf.qkv, 3 * inner, Epilogue::kNone);
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(cache + (r * P + pos) * kv_row, buf.qkv + r * 3 * inner + inner, kv_row * sizeof(float));
    Attention self;
    self.sequences = rows;
    self.queries = 1;
    self.keys = pos + 1;
    self.heads = H;
    self.head_dim = size_t(c.d_kv);
    self.q = buf.qkv;
    self.q_stride = 3 * inner;
    self.k = cache;
    self.v = cache + inner;
    self.kv_stride = kv_row;
    self.kv_rows = P;
    self.key_mask = dec_mask;
    self.key_mask_stride = dec_mask_stride;
    self.bias = buf.dec_bias;
    self.bias_rows = self.bias_stride = P;
    self.first_query_pos = pos;
    self.scores = buf.scores;
    self.ctx = buf.ctx;
    self.ctx_stride = inner;
    attention(ctx, self);
    linear(ctx, L.self_out, buf.ctx, inner, rows, buf.tmp, D, Epilogue::kNone);
    add_inplace(x, buf.tmp, rows * D);

    rms_norm(ctx, x, rows, D, L.cross_norm, eps, buf.normed);
    linear(ctx, L.cross_q, buf.normed, D, rows, buf.qkv, inner, Epilogue::kNone);
    const float* kv = buf.cross_kv + l * p.max_batch * p.max_src * kv_row;
    Attention cross;
    cross.sequences = rows;
    cross.queries = 1;
    cross.keys = cross.kv_rows = cross.key_mask_stride = src_len;
    cross.kv_group = beams_per_input;
    cross.heads = H;
    cross.head_dim = size_t(c.d_kv);
    cross.q = buf.qkv;
    cross.q_stride = inner;
    cross.k = kv;
    cross.v = kv + inner;
    cross.kv_stride = kv_row;
    cross.key_mask = buf.src_mask;
    cross.scores = buf.scores;
    cross.ctx = buf.ctx;
    cross.ctx_stride = inner;
    attention(ctx, cross);
    linear(ctx, L.cross_out, buf.ctx, inner, rows, buf.tmp, D, Epilogue::kNone);
    add_inplace(x, buf.tmp, rows * D);

    rms_norm(ctx, x, rows, D, L.ffn_norm, eps, buf.normed);
    feed_forward(c, L, ctx, buf, rows, x);
    if (l + 1 < w.dec.size()) keep(l + 1);
  }
  rms_norm(ctx, x, rows, D, w.dec_final_norm, eps, x);
  keep(w.dec.size());
  if (c.tied_embeddings) {  // the tied head sees the decoder output scaled by d_model^-0.5
    const float scale = 1.0f / std::sqrt(float(D));
    for (size_t i = 0; i < rows * D; ++i) x[i] *= scale;
  }
  linear(ctx, w.lm_head, x, D, rows, buf.logits, size_t(c.vocab_size), Epilogue::kNone);
}

void reorder_t5_cache(const T5Config& c, const T5Plan& p, const T5Buffers& buf, const int32_t* from,
                      size_t rows, size_t positions) {
  const size_t row_floats = p.max_positions * 2 * size_t(c.d_kv) * size_t(c.num_heads);
  const size_t used = positions * 2 * size_t(c.d_kv) * size_t(c.num_heads);
  for (size_t l = 0; l < size_t(c.num_decoder_layers); ++l) {
    float* cache = buf.self_kv + l * p.rows * row_floats;
    for (size_t r = 0; r < rows; ++r) std::memcpy(buf.kv_swap + r * row_floats, cache + size_t(from[r]) * row_floats, used * sizeof(float));
    for (size_t r = 0; r < rows; ++r) std::memcpy(cache + r * row_floats, buf.kv_swap + r * row_floats, used * sizeof(float));
  }
}

}  // namespace tern
