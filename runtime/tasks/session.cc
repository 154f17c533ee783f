#include "tern/session.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tasks/session_impl.h"

namespace tern {

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

namespace {

// Defaults that depend on the model.
SessionOptions resolve(const ModelImpl& m, SessionOptions o) {
  const int positions = m.info.max_positions;
  if (o.max_seq == 0) o.max_seq = m.info.default_max_seq();
  if (o.max_new_tokens == 0) o.max_new_tokens = positions > 1 ? std::min<size_t>(size_t(positions) - 1, 64) : 64;
  return o;
}

Status check_options(const ModelImpl& m, const SessionOptions& o) {
  TERN_CHECK_OR_RETURN(o.max_batch >= 1 && o.max_batch <= 4096, Code::kInvalidArgument,
                       "session: max_batch=%zu is not in 1..4096", o.max_batch);
  TERN_CHECK_OR_RETURN(o.max_seq >= 1 && o.max_seq <= 65536, Code::kInvalidArgument,
                       "session: max_seq=%zu is not in 1..65536", o.max_seq);
  TERN_CHECK_OR_RETURN(o.threads >= 1 && o.threads <= 256, Code::kInvalidArgument,
                       "session: threads=%zu is not in 1..256", o.threads);
  TERN_CHECK_OR_RETURN(o.max_new_tokens >= 1 && o.max_new_tokens <= 65536 && o.max_beams >= 1 &&
                           o.max_beams <= size_t(kMaxBeams) && o.max_decoder_seq <= 65536,
                       Code::kInvalidArgument,
                       "session: max_new_tokens=%zu, max_beams=%zu or max_decoder_seq=%zu out of range",
                       o.max_new_tokens, o.max_beams, o.max_decoder_seq);
  const int positions = m.info.max_positions;
  TERN_CHECK_OR_RETURN(positions == 0 || o.max_seq <= size_t(positions), Code::kInvalidArgument,
                       "session: max_seq=%zu exceeds the %d positions the model has", o.max_seq, positions);
  TERN_CHECK_OR_RETURN(positions == 0 || !m.encoder_decoder() || o.max_new_tokens < size_t(positions),
                       Code::kInvalidArgument,
                       "session: max_new_tokens=%zu and the start token exceed the %d positions the model has",
                       o.max_new_tokens, positions);
  TERN_CHECK_OR_RETURN(positions == 0 || !m.encoder_decoder() || o.max_decoder_seq <= size_t(positions),
                       Code::kInvalidArgument, "session: max_decoder_seq=%zu exceeds the %d positions the model has",
                       o.max_decoder_seq, positions);
  return Status();
}

// Encoder-decoder memory: the model's buffers, the generator's, and run()'s teacher-forcing outputs.
void plan_seq2seq_session(const ModelImpl& m, const SessionOptions& o, SessionImpl* s) {
  const Seq2SeqConfig& c = m.seq2seq;
  // Decoder positions: generation's (start token + new tokens) and teacher forcing's share the KV cache.
  const size_t gen = o.max_new_tokens + 1, forced = o.max_decoder_seq, B = o.max_batch;
  s->s2s_memory.name_steps({"encoding", "decoding", "results"});  // Seq2SeqStep
  s->s2s = plan_seq2seq(c, B, o.max_seq, std::max(gen, forced), o.max_beams, o.output_hidden_states, o.threads,
                        &s->s2s_memory);
  s->gen = plan_generator(B, o.max_beams, gen, size_t(c.vocab_size), kDecoding, &s->s2s_memory);
  // run()'s teacher forcing (none when max_decoder_seq is 0).
  s->dec_ids = s->s2s_memory.add("dec_ids", product(B, forced, 4), kDecoding, kResults, true);
  s->dec_mask = s->s2s_memory.add("dec_mask", product(B, forced, 4), kDecoding, kResults, true);
  s->dec_logits = s->s2s_memory.add("dec_logits", product(B, forced, c.vocab_size, 4), kDecoding, kResults);
  s->dec_hidden = s->s2s_memory.add(
      "dec_hidden", o.output_hidden_states ? product(c.num_decoder_layers + 1, B, forced, c.d_model, 4) : 0, kDecoding,
      kResults);
  // Texts stream through the tokenizer's window, so its size does not depend on max_seq.
  s->text_scratch = s->s2s_memory.add("text_scratch", m.tokenizer ? m.tokenizer->scratch_bytes() : 0, kEncoding, kEncoding);
  s->s2s_memory.plan();
}

// XNNPACK's f32 kernels may read up to XNN_EXTRA_BYTES (16) past the last row of an input; the
// arena ends with that much slack so that such a read never leaves it.
constexpr size_t kArenaTailBytes = 64;

// The arena a plan needs, or an error when it exceeds what size_t addresses (32-bit targets).
Result<size_t> arena_size(const MemoryPlan& plan, const SessionOptions& o) {
  TERN_CHECK_OR_RETURN(plan.fits() && plan.total_bytes() <= SIZE_MAX - kArenaTailBytes, Code::kResourceExhausted,
                       "session: max_batch=%zu, max_seq=%zu, max_new_tokens=%zu, max_beams=%zu need "
                       "more memory than this process can address",
                       o.max_batch, o.max_seq, o.max_new_tokens, o.max_beams);
  return plan.total_bytes() + kArenaTailBytes;
}

// An encoder session's arena: the encoder's plan, then the tokenizer's scratch (texts stream
// through it, so its size does not depend on max_seq), then the tail.
Result<size_t> encoder_arena_size(const ModelImpl& m, const MemoryPlan& plan, const SessionOptions& o,
                                  size_t* text_offset) {
  Result<size_t> planned = arena_size(plan, o);
  if (!planned.ok()) return planned.status();
  const size_t text = m.tokenizer ? align_up(m.tokenizer->scratch_bytes(), kArenaAlignment) : 0;
  *text_offset = align_up(plan.total_bytes(), kArenaAlignment);
  TERN_CHECK_OR_RETURN(*text_offset <= SIZE_MAX - text - kArenaTailBytes, Code::kResourceExhausted,
                       "session: max_batch=%zu, max_seq=%zu need more memory than this process can address",
                       o.max_batch, o.max_seq);
  return *text_offset + text + kArenaTailBytes;
}

Result<size_t> planned_bytes(const ModelImpl& m, const SessionOptions& o) {
  size_t text_offset;
  if (!m.encoder_decoder())
    return encoder_arena_size(m, plan_encoder(m.encoder, o.max_batch, o.max_seq, o.output_hidden_states,
                                              o.output_attentions, o.threads).memory, o, &text_offset);
  SessionImpl s;
  plan_seq2seq_session(m, o, &s);
  return arena_size(s.s2s_memory, o);
}

}  // namespace

Result<size_t> Session::required_arena_bytes(const Model& model, const SessionOptions& options) {
  const SessionOptions o = resolve(model.impl(), options);
  TERN_RETURN_IF_ERROR(check_options(model.impl(), o));
  return planned_bytes(model.impl(), o);
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& options,
                                                 void* arena, size_t arena_bytes) {
  const SessionOptions o = resolve(model.impl(), options);
  TERN_RETURN_IF_ERROR(check_options(model.impl(), o));
  auto s = std::make_unique<SessionImpl>();
  s->model = &model.impl();
  s->options = o;
  TERN_RETURN_IF_ERROR(select_kernels(o.isa, &s->ctx.kernels));
  if (s->is_seq2seq())
    plan_seq2seq_session(*s->model, o, s.get());
  else
    s->plan = plan_encoder(s->model->encoder, o.max_batch, o.max_seq, o.output_hidden_states,
                           o.output_attentions, o.threads);
  size_t text_offset = 0;
  Result<size_t> planned = s->is_seq2seq() ? arena_size(s->s2s_memory, o)
                                      : encoder_arena_size(*s->model, s->plan.memory, o, &text_offset);
  if (!planned.ok()) return planned.status();
  const size_t need = planned.value();
  if (arena) {
    TERN_CHECK_OR_RETURN(reinterpret_cast<uintptr_t>(arena) % kArenaAlignment == 0,
                         Code::kInvalidArgument, "session: arena must be 64-byte aligned");
    TERN_CHECK_OR_RETURN(arena_bytes >= need, Code::kResourceExhausted,
                         "session: arena of %zu bytes is smaller than the %zu this plan needs",
                         arena_bytes, need);
    s->arena = static_cast<uint8_t*>(arena);
  } else {
    s->arena = static_cast<uint8_t*>(std::aligned_alloc(kArenaAlignment, align_up(need, kArenaAlignment)));
    TERN_CHECK_OR_RETURN(s->arena != nullptr, Code::kResourceExhausted,
                         "session: cannot allocate an arena of %zu bytes", need);
    s->owns_arena = true;
  }
  s->arena_bytes = need;
  if (s->is_seq2seq()) {
    s->s2s_buf = resolve_seq2seq(s->s2s, s->s2s_memory, s->arena);
    s->ctx.act_q = s->s2s_at<int8_t>(s->s2s.act_q);
    s->ctx.act_scale = s->s2s_at<float>(s->s2s.act_scale);
    s->ctx.act_q_stride = s->s2s.act_q_stride;
    init_decoder_bias(s->model->seq2seq, s->model->seq2seq_weights, s->s2s, s->s2s_buf);
  } else {
    s->buf = resolve_buffers(s->plan, s->arena);
    s->ctx.act_q = reinterpret_cast<int8_t*>(s->arena + s->plan.memory.offset(s->plan.act_q));
    s->ctx.act_scale = reinterpret_cast<float*>(s->arena + s->plan.memory.offset(s->plan.act_scale));
    s->ctx.act_q_stride = s->plan.act_q_stride;
    s->encoder_text_scratch = s->arena + text_offset;
  }
  s->ctx.poison = o.poison_scratch;
  s->ctx.threads = o.threads;
  if (o.threads > 1) {
    s->ctx.pool = pthreadpool_create(o.threads);
    TERN_CHECK_OR_RETURN(s->ctx.pool != nullptr, Code::kResourceExhausted,
                         "session: cannot create %zu threads", o.threads);
  }
  if (o.xnnpack) {
    Result<std::unique_ptr<XnnpackLinears>> xnn =
        XnnpackLinears::create(s->is_seq2seq() ? s->model->seq2seq_weights.linears : s->model->weights.linears);
    if (!xnn.ok()) return xnn.status();
    s->xnn = std::move(xnn.value());
    s->ctx.xnn = s->xnn.get();
  }
  const KernelTable& k = s->ctx.kernels;
  s->kernel_names = std::string("qgemm=") + k.qgemm.name + " fgemm=" + k.fgemm.name +
                    " hgemm=" + k.hgemm.name + " quantize=" + k.quantize_rows.name;
  if (s->xnn) s->kernel_names += " float_linear=xnnpack_f32_fully_connected x" + std::to_string(s->xnn->operators());
  s->describe_outputs();
  return std::unique_ptr<Session>(new Session(std::move(s)));
}

// Output names are made once, here; run() only points them at data and sets shapes.
void SessionImpl::describe_outputs() {
  if (is_seq2seq()) {
    const Seq2SeqConfig& c = model->seq2seq;
    output_names = {"encoder_last_hidden_state", "logits"};
    if (options.output_hidden_states) {
      for (int l = 0; l <= c.num_layers; ++l) output_names.push_back("encoder_hidden_states." + std::to_string(l));
      for (int l = 0; l <= c.num_decoder_layers; ++l) output_names.push_back("decoder_hidden_states." + std::to_string(l));
    }
  } else {
    const EncoderConfig& c = model->encoder;
    output_names = {c.head == Head::kEmbedding ? "sentence_embedding" : "logits", "last_hidden_state"};
    if (c.pooler) output_names.push_back("pooler_output");
    if (plan.keep_hidden)
      for (int l = 0; l <= c.num_layers; ++l) output_names.push_back("hidden_states." + std::to_string(l));
    if (plan.keep_attentions)
      for (int l = 0; l < c.num_layers; ++l) output_names.push_back("attentions." + std::to_string(l));
  }
  outputs.resize(output_names.size());
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i] = OutputTensor{output_names[i].c_str(), nullptr, 0, {0, 0, 0, 0}};
}

// `index` follows the order describe_outputs() made (no string work here: run() must not allocate).
void SessionImpl::set_output(size_t index, const float* data, std::initializer_list<int64_t> shape) {
  OutputTensor& t = outputs[index];
  t.data = data;
  t.rank = int(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) t.shape[d] = shape.begin()[d];
}

Status SessionImpl::run_loaded(size_t b, size_t t) {
  run_encoder(model->encoder, model->weights, ctx, plan, buf, b, t);
  const EncoderConfig& c = model->encoder;
  const int64_t B = int64_t(b), T = int64_t(t), H = c.hidden_size, heads = c.num_heads;
  const size_t layer = b * t * size_t(H);
  size_t i = 0;
  switch (c.head) {
    case Head::kSequenceClassification: set_output(i++, buf.logits, {B, c.num_labels}); break;
    case Head::kTokenClassification: set_output(i++, buf.logits, {B, T, c.num_labels}); break;
    case Head::kEmbedding: set_output(i++, buf.pooled, {B, H}); break;
  }
  set_output(i++, plan.keep_hidden ? buf.hidden + size_t(c.num_layers) * layer : buf.hidden, {B, T, H});
  if (c.pooler) set_output(i++, buf.pooled, {B, H});
  for (int l = 0; plan.keep_hidden && l <= c.num_layers; ++l) set_output(i++, buf.hidden + size_t(l) * layer, {B, T, H});
  for (int l = 0; plan.keep_attentions && l < c.num_layers; ++l)
    set_output(i++, buf.attentions + size_t(l) * b * size_t(heads) * t * t, {B, heads, T, T});
  return Status();
}

namespace {

// Validates [batch, seq] ids (< vocab) and a 0/1 mask, and copies them to int32 buffers.
Status load_ids(const char* what, const int64_t* ids, const int64_t* mask, size_t n, size_t seq, int vocab,
                int32_t* ids_out, int32_t* mask_out) {
  for (size_t i = 0; i < n; ++i) {
    TERN_CHECK_OR_RETURN(ids[i] >= 0 && ids[i] < vocab, Code::kInvalidArgument,
                         "run: %s[%zu][%zu]=%lld is outside the vocab of %d", what, i / seq, i % seq,
                         (long long)ids[i], vocab);
    const int64_t m = mask ? mask[i] : 1;
    TERN_CHECK_OR_RETURN(m == 0 || m == 1, Code::kInvalidArgument,
                         "run: %s mask[%zu][%zu]=%lld is not 0 or 1", what, i / seq, i % seq, (long long)m);
    ids_out[i] = int32_t(ids[i]);
    mask_out[i] = int32_t(m);
  }
  return Status();
}

// Tokenizers write row i at stride max_seq; a batch runs at stride seq (its longest row). Moves
// row i there (moving forward is safe, rows are packed in order), pads its tail with `pad`, and
// writes its attention mask.
void pack_row(int32_t* rows, int32_t* mask, size_t i, size_t stride, size_t seq, size_t len, int32_t pad) {
  std::memmove(rows + i * seq, rows + i * stride, len * sizeof(int32_t));
  std::fill(rows + i * seq + len, rows + (i + 1) * seq, pad);
  if (mask) {
    std::fill(mask + i * seq, mask + i * seq + len, 1);
    std::fill(mask + i * seq + len, mask + (i + 1) * seq, 0);
  }
}

Status check_shape(const SessionOptions& o, size_t batch, size_t seq) {
  TERN_CHECK_OR_RETURN(batch >= 1 && batch <= o.max_batch, Code::kInvalidArgument,
                       "run: batch %zu is not in 1..max_batch=%zu", batch, o.max_batch);
  TERN_CHECK_OR_RETURN(seq >= 1 && seq <= o.max_seq, Code::kResourceExhausted,
                       "run: sequence length %zu is not in 1..max_seq=%zu planned for this session",
                       seq, o.max_seq);
  return Status();
}

}  // namespace

Status Session::run(const Inputs& in) {
  SessionImpl& s = *impl_;
  TERN_CHECK_OR_RETURN(in.input_ids != nullptr, Code::kInvalidArgument, "run: input_ids is null");
  TERN_RETURN_IF_ERROR(check_shape(s.options, in.batch, in.seq));
  if (s.is_seq2seq()) return s.run_seq2seq(in);
  const EncoderConfig& c = s.model->encoder;
  const size_t n = in.batch * in.seq;
  TERN_RETURN_IF_ERROR(load_ids("input_ids", in.input_ids, in.attention_mask, n, in.seq, c.vocab_size, s.buf.ids, s.buf.mask));
  for (size_t i = 0; i < n; ++i) {
    int64_t t = in.token_type_ids ? in.token_type_ids[i] : 0;
    TERN_CHECK_OR_RETURN(t >= 0 && (t < c.type_vocab_size || t == 0), Code::kInvalidArgument,
                         "run: token_type_ids[%zu][%zu]=%lld is outside 0..%d", i / in.seq,
                         i % in.seq, (long long)t, c.type_vocab_size - 1);
    s.buf.types[i] = int32_t(t);
  }
  return s.run_loaded(in.batch, in.seq);
}

Status SessionImpl::load_source(const Inputs& in) {
  TERN_RETURN_IF_ERROR(load_ids("input_ids", in.input_ids, in.attention_mask, in.batch * in.seq, in.seq,
                                model->seq2seq.src_vocab_size, s2s_buf.src_ids, s2s_buf.src_mask));
  poison_born(kEncoding);
  run_seq2seq_encoder(model->seq2seq, model->seq2seq_weights, ctx, s2s, s2s_buf, in.batch, in.seq);
  src_len = in.seq;
  return Status();
}

Status SessionImpl::run_seq2seq(const Inputs& in) {
  const Seq2SeqConfig& c = model->seq2seq;
  const size_t T = in.decoder_seq, V = size_t(c.vocab_size), D = size_t(c.d_model);
  TERN_CHECK_OR_RETURN(!in.decoder_input_ids || (T >= 1 && T <= options.max_decoder_seq), Code::kResourceExhausted,
                       "run: decoder length %zu is not in 1..%zu (SessionOptions::max_decoder_seq) planned", T,
                       options.max_decoder_seq);
  TERN_RETURN_IF_ERROR(load_source(in));
  const int64_t B = int64_t(in.batch), S = int64_t(in.seq);
  const float* enc_out = seq2seq_encoder_output(c, s2s, s2s_buf, in.batch, in.seq);
  for (OutputTensor& t : outputs) t.data = nullptr;  // logits only with decoder inputs
  set_output(0, enc_out, {B, S, int64_t(D)});
  const size_t first_dec_hidden = 2 + size_t(c.num_layers) + 1;
  for (int l = 0; options.output_hidden_states && l <= c.num_layers; ++l)
    set_output(2 + size_t(l), s2s_buf.enc_hidden + size_t(l) * in.batch * in.seq * D, {B, S, int64_t(D)});
  if (!in.decoder_input_ids) return Status();
  // Teacher forcing: position by position over the KV cache, exactly as generation runs.
  int32_t* ids = s2s_at<int32_t>(dec_ids);
  int32_t* mask = s2s_at<int32_t>(dec_mask);
  float* logits = s2s_at<float>(dec_logits);
  float* hidden = options.output_hidden_states ? s2s_at<float>(dec_hidden) : nullptr;
  TERN_RETURN_IF_ERROR(load_ids("decoder_input_ids", in.decoder_input_ids, in.decoder_attention_mask,
                                in.batch * T, T, c.vocab_size, ids, mask));
  poison_born(kDecoding);
  int32_t step_ids[4096];
  for (size_t pos = 0; pos < T; ++pos) {
    for (size_t b = 0; b < in.batch; ++b) step_ids[b] = ids[b * T + pos];
    run_decoder_position(c, model->seq2seq_weights, ctx, s2s, s2s_buf, step_ids, mask, T, in.batch, 1, in.seq, pos,
                        hidden ? hidden + pos * D : nullptr, in.batch * T * D, T * D);
    for (size_t b = 0; b < in.batch; ++b)
      std::memcpy(logits + (b * T + pos) * V, s2s_buf.logits + b * V, V * sizeof(float));
  }
  set_output(1, logits, {B, int64_t(T), int64_t(V)});
  for (int l = 0; hidden && l <= c.num_decoder_layers; ++l)
    set_output(first_dec_hidden + size_t(l), hidden + size_t(l) * in.batch * T * D, {B, int64_t(T), int64_t(D)});
  return Status();
}

namespace {

float* decoder_step(void* self, const int32_t* ids, size_t rows, size_t pos) {
  SessionImpl& s = *static_cast<SessionImpl*>(self);
  run_decoder_position(s.model->seq2seq, s.model->seq2seq_weights, s.ctx, s.s2s, s.s2s_buf, ids, nullptr, 0, rows,
                      s.beams_now, s.src_len, pos, nullptr, 0, 0);
  return s.s2s_buf.logits;
}

void decoder_reorder(void* self, const int32_t* from, size_t rows, size_t positions) {
  SessionImpl& s = *static_cast<SessionImpl*>(self);
  reorder_decoder_cache(s.model->seq2seq, s.s2s, s.s2s_buf, from, rows, positions);
}

}  // namespace

Status SessionImpl::generate_loaded(size_t batch, size_t seq, const GenerationOptions& o, const TokenStream& stream) {
  TERN_RETURN_IF_ERROR(check_generation_options(o, gen));
  poison_born(kEncoding);
  run_seq2seq_encoder(model->seq2seq, model->seq2seq_weights, ctx, s2s, s2s_buf, batch, seq);
  poison_born(kDecoding);
  src_len = seq;
  beams_now = size_t(o.num_beams);
  const Seq2SeqConfig& c = model->seq2seq;
  DecoderCallbacks d{decoder_step, decoder_reorder, this};
  Result<GenerationResult> r = tern::generate(o, gen, s2s_memory, arena, batch,
                                              TokenIds{c.decoder_start_token_id, c.eos_token_id, c.pad_token_id}, d, ctx.kernels,
                                              stream);
  if (!r.ok()) return r.status();
  generated = Generated{r->tokens, r->scores, r->sequences, r->length};
  TERN_CHECK_OR_RETURN(!r->cancelled, Code::kCancelled,
                       "generate: cancelled by the token stream (generated() holds %zu x %zu tokens)", r->sequences, r->length);
  return Status();
}

Status Session::generate(const int64_t* input_ids, const int64_t* attention_mask, size_t batch, size_t seq,
                         const GenerationOptions& o, TokenStream stream) {
  SessionImpl& s = *impl_;
  s.generated = Generated();
  TERN_CHECK_OR_RETURN(s.is_seq2seq(), Code::kInvalidArgument, "generate: this model is not an encoder-decoder");
  TERN_CHECK_OR_RETURN(input_ids != nullptr, Code::kInvalidArgument, "generate: input_ids is null");
  TERN_RETURN_IF_ERROR(check_shape(s.options, batch, seq));
  TERN_RETURN_IF_ERROR(load_ids("input_ids", input_ids, attention_mask, batch * seq, seq, s.model->seq2seq.src_vocab_size,
                                s.s2s_buf.src_ids, s.s2s_buf.src_mask));
  return s.generate_loaded(batch, seq, o, stream);
}

Status Session::generate(const std::string_view* texts, size_t count, const GenerationOptions& o, TokenStream stream) {
  SessionImpl& s = *impl_;
  s.generated = Generated();
  TERN_CHECK_OR_RETURN(s.is_seq2seq(), Code::kInvalidArgument, "generate: this model is not an encoder-decoder");
  TERN_CHECK_OR_RETURN(texts != nullptr, Code::kInvalidArgument, "generate: texts is null");
  const Tokenizer* tok = s.model->tokenizer.get();
  TERN_CHECK_OR_RETURN(tok != nullptr, Code::kInvalidArgument,
                       "generate: this model has no tokenizer (convert it with its tokenizer files, or pass token ids)");
  TERN_CHECK_OR_RETURN(count >= 1 && count <= s.options.max_batch, Code::kInvalidArgument,
                       "generate: %zu texts, the session was planned for 1..%zu", count, s.options.max_batch);
  const size_t stride = s.options.max_seq;
  uint8_t* scratch = s.s2s_at<uint8_t>(s.text_scratch);
  size_t lengths[4096], seq = 1;
  for (size_t i = 0; i < count; ++i) {
    Result<Encoded> e = tok->encode(texts[i], nullptr, scratch, s.options.truncate,
                                    EncodeOutput{s.s2s_buf.src_ids + i * stride, nullptr, nullptr, stride});
    if (!e.ok()) return Status::error(e.status().code(), "text %zu: %s", i, e.status().message());
    lengths[i] = e.value().length;
    seq = std::max(seq, lengths[i]);
  }
  const int32_t pad = std::max(tok->special().pad, 0);
  for (size_t i = 0; i < count; ++i)
    pack_row(s.s2s_buf.src_ids, s.s2s_buf.src_mask, i, stride, seq, lengths[i], pad);
  return s.generate_loaded(count, seq, o, stream);
}

const Generated& Session::generated() const { return impl_->generated; }

GenerationOptions Session::generation_defaults(std::string_view text) const {
  const fb::Model& fm = impl_->model->blob.model();
  const fb::GenerationConfig* g = fm.generation();
  if (fm.tasks())
    for (const fb::GenerationConfig* t : *fm.tasks())
      if (t->prefix() && t->prefix()->size() > 0 && text.substr(0, t->prefix()->size()) == t->prefix()->string_view()) g = t;
  GenerationOptions o = g ? generation_options(*g) : GenerationOptions();
  o.max_new_tokens = std::max(1, std::min(o.max_new_tokens, int(impl_->options.max_new_tokens)));
  o.num_beams = std::max(1, std::min(o.num_beams, int(impl_->options.max_beams)));
  return o;
}

void label_scores(LabelOutput output, const float* z, size_t n, float* p) {
  switch (output) {
    case LabelOutput::kSoftmax: {
      float mx = z[0], sum = 0;
      for (size_t j = 1; j < n; ++j) mx = std::fmax(mx, z[j]);
      for (size_t j = 0; j < n; ++j) sum += p[j] = std::exp(z[j] - mx);
      for (size_t j = 0; j < n; ++j) p[j] /= sum;
      return;
    }
    case LabelOutput::kSigmoid:
      for (size_t j = 0; j < n; ++j) p[j] = 1.0f / (1.0f + std::exp(-z[j]));
      return;
    case LabelOutput::kRaw:
      std::memcpy(p, z, n * sizeof(float));
      return;
  }
}

Result<size_t> SessionImpl::encode_texts(const char* what, const std::string_view* texts,
                                         const std::string_view* pairs, size_t count, TokenOffsets* offsets,
                                         size_t* lengths) {
  const Tokenizer* tok = model->tokenizer.get();
  TERN_CHECK_OR_RETURN(texts != nullptr, Code::kInvalidArgument, "%s: texts is null", what);
  TERN_CHECK_OR_RETURN(!is_seq2seq(), Code::kInvalidArgument, "%s: this model is an encoder-decoder", what);
  TERN_CHECK_OR_RETURN(tok != nullptr, Code::kInvalidArgument,
                       "%s: this model has no tokenizer (convert it with its tokenizer files, or pass token ids)", what);
  TERN_CHECK_OR_RETURN(count >= 1 && count <= options.max_batch, Code::kInvalidArgument,
                       "%s: %zu texts, the session was planned for 1..%zu", what, count, options.max_batch);
  const size_t stride = options.max_seq;
  size_t seq = 1;
  for (size_t i = 0; i < count; ++i) {
    Result<Encoded> e = tok->encode(texts[i], pairs ? &pairs[i] : nullptr, encoder_text_scratch, options.truncate,
                                    EncodeOutput{buf.ids + i * stride, buf.types + i * stride,
                                                 offsets ? offsets + i * stride : nullptr, stride});
    if (!e.ok()) return Status::error(e.status().code(), "text %zu: %s", i, e.status().message());
    lengths[i] = e.value().length;
    seq = std::max(seq, lengths[i]);
  }
  for (size_t i = 0; i < count; ++i) {
    pack_row(buf.ids, buf.mask, i, stride, seq, lengths[i], std::max(tok->special().pad, 0));
    pack_row(buf.types, nullptr, i, stride, seq, lengths[i], 0);
  }
  return seq;
}

Status Session::classify(const std::string_view* texts, const std::string_view* pairs, size_t count) {
  SessionImpl& s = *impl_;
  TERN_CHECK_OR_RETURN(s.is_seq2seq() || s.model->encoder.head == Head::kSequenceClassification, Code::kInvalidArgument,
                       "classify: this model is not a sequence classifier (its head gives %s)",
                       s.model->encoder.head == Head::kEmbedding ? "embeddings" : "token labels");
  size_t lengths[4096];
  Result<size_t> seq = s.encode_texts("classify", texts, pairs, count, nullptr, lengths);
  if (!seq.ok()) return seq.status();
  TERN_RETURN_IF_ERROR(s.run_loaded(count, seq.value()));
  const EncoderConfig& c = s.model->encoder;
  const size_t C = size_t(c.num_labels);
  for (size_t i = 0; i < count; ++i) label_scores(c.label_output, s.buf.logits + i * C, C, s.buf.probs + i * C);
  return Status();
}

const float* Session::probabilities(size_t i) const {
  return impl_->buf.probs + i * size_t(impl_->model->encoder.num_labels);
}

size_t Session::predicted_label(size_t i) const {
  const float* p = probabilities(i);
  size_t best = 0;
  for (size_t j = 1; j < size_t(impl_->model->encoder.num_labels); ++j)
    if (p[j] > p[best]) best = j;
  return best;
}

size_t Session::num_outputs() const { return impl_->outputs.size(); }
const OutputTensor& Session::output(size_t i) const { return impl_->outputs[i]; }
const OutputTensor* Session::find_output(std::string_view name) const {
  for (const OutputTensor& t : impl_->outputs)
    if (t.data && name == t.name) return &t;
  return nullptr;
}
size_t Session::arena_bytes() const { return impl_->arena_bytes; }
std::string Session::arena_plan() const {
  return impl_->is_seq2seq() ? impl_->s2s_memory.describe() : impl_->plan.memory.describe();
}
size_t Session::xnnpack_bytes() const { return impl_->xnn ? impl_->xnn->bytes() : 0; }
size_t Session::xnnpack_operators() const { return impl_->xnn ? impl_->xnn->operators() : 0; }
const char* Session::kernel_names() const { return impl_->kernel_names.c_str(); }
Isa Session::isa() const { return impl_->ctx.kernels.isa; }

}  // namespace tern
