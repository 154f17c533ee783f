#include "tern/session.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tasks/model_impl.h"

namespace tern {

struct SessionImpl {
  const ModelImpl* model = nullptr;
  SessionOptions options;
  EncoderPlan plan;
  EncoderBuffers buf{};
  OpContext ctx;
  uint8_t* arena = nullptr;
  size_t arena_bytes = 0;
  bool owns_arena = false;
  size_t batch = 0, seq = 0;  // of the last run
  std::vector<std::string> output_names;
  std::vector<OutputTensor> outputs;
  std::string kernel_names;

  ~SessionImpl() {
    if (ctx.pool) pthreadpool_destroy(ctx.pool);
    if (owns_arena) std::free(arena);
  }
  Status run_loaded(size_t batch, size_t seq);
  void describe_outputs();
};

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

namespace {

Status check_options(const ModelImpl& m, const SessionOptions& o) {
  TERN_CHECK_OR_RETURN(o.max_batch >= 1 && o.max_batch <= 4096, Code::kInvalidArgument,
                       "session: max_batch=%zu is not in 1..4096", o.max_batch);
  TERN_CHECK_OR_RETURN(o.max_seq >= 1 && o.max_seq <= 65536, Code::kInvalidArgument,
                       "session: max_seq=%zu is not in 1..65536", o.max_seq);
  TERN_CHECK_OR_RETURN(o.threads >= 1 && o.threads <= 256, Code::kInvalidArgument,
                       "session: threads=%zu is not in 1..256", o.threads);
  int positions = m.encoder.max_position_embeddings;
  TERN_CHECK_OR_RETURN(positions == 0 || o.max_seq <= size_t(positions), Code::kInvalidArgument,
                       "session: max_seq=%zu exceeds the model's max_position_embeddings=%d",
                       o.max_seq, positions);
  return Status();
}

}  // namespace

Result<size_t> Session::required_arena_bytes(const Model& model, const SessionOptions& o) {
  TERN_RETURN_IF_ERROR(check_options(model.impl(), o));
  return plan_encoder(model.impl().encoder, o.max_batch, o.max_seq, o.output_hidden_states,
                      o.output_attentions)
      .memory.total_bytes();
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& o,
                                                 void* arena, size_t arena_bytes) {
  TERN_RETURN_IF_ERROR(check_options(model.impl(), o));
  auto s = std::make_unique<SessionImpl>();
  s->model = &model.impl();
  s->options = o;
  TERN_RETURN_IF_ERROR(select_kernels(o.isa, &s->ctx.kernels));
  s->plan = plan_encoder(s->model->encoder, o.max_batch, o.max_seq, o.output_hidden_states,
                         o.output_attentions);
  const size_t need = s->plan.memory.total_bytes();
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
  s->buf = resolve_buffers(s->plan, s->arena);
  s->ctx.act_q = reinterpret_cast<int8_t*>(s->arena + s->plan.memory.offset(s->plan.act_q));
  s->ctx.act_scale = reinterpret_cast<float*>(s->arena + s->plan.memory.offset(s->plan.act_scale));
  s->ctx.act_q_stride = s->plan.act_q_stride;
  if (o.threads > 1) {
    s->ctx.pool = pthreadpool_create(o.threads);
    TERN_CHECK_OR_RETURN(s->ctx.pool != nullptr, Code::kResourceExhausted,
                         "session: cannot create %zu threads", o.threads);
  }
  const KernelTable& k = s->ctx.kernels;
  s->kernel_names = std::string("qgemm=") + k.qgemm_name + " fgemm=" + k.fgemm_name +
                    " hgemm=" + k.hgemm_name + " quantize=" + k.quantize_rows_name;
  s->describe_outputs();
  return std::unique_ptr<Session>(new Session(std::move(s)));
}

// Names and data pointers are fixed at creation; run() only fills in the shapes.
void SessionImpl::describe_outputs() {
  const EncoderConfig& c = model->encoder;
  const size_t L = size_t(c.num_layers);
  output_names = {"logits", "last_hidden_state"};
  if (c.pooler) output_names.push_back("pooler_output");
  if (plan.keep_hidden)
    for (size_t l = 0; l <= L; ++l) output_names.push_back("hidden_states." + std::to_string(l));
  if (plan.keep_attentions)
    for (size_t l = 0; l < L; ++l) output_names.push_back("attentions." + std::to_string(l));
  outputs.resize(output_names.size());
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i] = OutputTensor{output_names[i].c_str(), nullptr, 0, {0, 0, 0, 0}};
}

Status SessionImpl::run_loaded(size_t b, size_t t) {
  run_encoder(model->encoder, model->weights, ctx, plan, buf, b, t);
  batch = b;
  seq = t;
  const EncoderConfig& c = model->encoder;
  const int64_t B = int64_t(b), T = int64_t(t), H = c.hidden_size, heads = c.num_heads;
  const size_t layer_elems = b * t * size_t(H);
  size_t i = 0;
  outputs[i++] = {output_names[0].c_str(), buf.logits, 2, {B, c.num_labels, 0, 0}};
  const float* last = plan.keep_hidden ? buf.hidden + size_t(c.num_layers) * layer_elems : buf.hidden;
  outputs[i++] = {output_names[1].c_str(), last, 3, {B, T, H, 0}};
  if (c.pooler) outputs[i++] = {output_names[2].c_str(), buf.pooled, 2, {B, H, 0, 0}};
  if (plan.keep_hidden)
    for (int l = 0; l <= c.num_layers; ++l)
      outputs[i] = {output_names[i].c_str(), buf.hidden + size_t(l) * layer_elems, 3, {B, T, H, 0}}, ++i;
  if (plan.keep_attentions)
    for (int l = 0; l < c.num_layers; ++l)
      outputs[i] = {output_names[i].c_str(), buf.attentions + size_t(l) * b * size_t(heads) * t * t,
                    4, {B, heads, T, T}}, ++i;
  return Status();
}

Status Session::run(const EncoderInputs& in) {
  SessionImpl& s = *impl_;
  const EncoderConfig& c = s.model->encoder;
  TERN_CHECK_OR_RETURN(in.input_ids != nullptr, Code::kInvalidArgument, "run: input_ids is null");
  TERN_CHECK_OR_RETURN(in.batch >= 1 && in.batch <= s.options.max_batch, Code::kInvalidArgument,
                       "run: batch %zu is not in 1..max_batch=%zu", in.batch, s.options.max_batch);
  TERN_CHECK_OR_RETURN(in.seq >= 1 && in.seq <= s.options.max_seq, Code::kResourceExhausted,
                       "run: sequence length %zu is not in 1..max_seq=%zu planned for this session",
                       in.seq, s.options.max_seq);
  const size_t n = in.batch * in.seq;
  for (size_t i = 0; i < n; ++i) {
    int64_t id = in.input_ids[i];
    TERN_CHECK_OR_RETURN(id >= 0 && id < c.vocab_size, Code::kInvalidArgument,
                         "run: input_ids[%zu][%zu]=%lld is outside the vocab of %d", i / in.seq,
                         i % in.seq, (long long)id, c.vocab_size);
    int64_t m = in.attention_mask ? in.attention_mask[i] : 1;
    TERN_CHECK_OR_RETURN(m == 0 || m == 1, Code::kInvalidArgument,
                         "run: attention_mask[%zu][%zu]=%lld is not 0 or 1", i / in.seq,
                         i % in.seq, (long long)m);
    int64_t t = in.token_type_ids ? in.token_type_ids[i] : 0;
    TERN_CHECK_OR_RETURN(t >= 0 && (t < c.type_vocab_size || t == 0), Code::kInvalidArgument,
                         "run: token_type_ids[%zu][%zu]=%lld is outside 0..%d", i / in.seq,
                         i % in.seq, (long long)t, c.type_vocab_size - 1);
    s.buf.ids[i] = int32_t(id);
    s.buf.mask[i] = int32_t(m);
    s.buf.types[i] = int32_t(t);
  }
  return s.run_loaded(in.batch, in.seq);
}

Status Session::classify(const std::string_view* texts, const std::string_view* pairs, size_t count) {
  SessionImpl& s = *impl_;
  const WordPiece* wp = s.model->wordpiece.get();
  TERN_CHECK_OR_RETURN(wp != nullptr, Code::kInvalidArgument,
                       "classify: this model has no tokenizer (convert it with its vocab.txt, or "
                       "pass token ids)");
  TERN_CHECK_OR_RETURN(count >= 1 && count <= s.options.max_batch, Code::kInvalidArgument,
                       "classify: %zu texts, the session was planned for 1..%zu", count,
                       s.options.max_batch);
  const size_t stride = s.options.max_seq;
  size_t lengths[4096];
  size_t seq = 1;
  for (size_t i = 0; i < count; ++i) {
    Result<size_t> len = wp->encode(texts[i], pairs ? &pairs[i] : nullptr, stride,
                                    s.options.truncate, s.buf.ids + i * stride,
                                    s.buf.types + i * stride);
    if (!len.ok())
      return Status::error(len.status().code(), "text %zu: %s", i, len.status().message());
    lengths[i] = len.value();
    seq = std::max(seq, lengths[i]);
  }
  // Rows were written with stride max_seq; pack them to stride seq (moving forward is safe) and pad.
  for (size_t i = 0; i < count; ++i) {
    std::memmove(s.buf.ids + i * seq, s.buf.ids + i * stride, lengths[i] * sizeof(int32_t));
    std::memmove(s.buf.types + i * seq, s.buf.types + i * stride, lengths[i] * sizeof(int32_t));
    for (size_t t = 0; t < seq; ++t) {
      bool real = t < lengths[i];
      if (!real) s.buf.ids[i * seq + t] = wp->pad_id(), s.buf.types[i * seq + t] = 0;
      s.buf.mask[i * seq + t] = real;
    }
  }
  TERN_RETURN_IF_ERROR(s.run_loaded(count, seq));
  const size_t C = size_t(s.model->encoder.num_labels);
  for (size_t i = 0; i < count; ++i) {
    const float* z = s.buf.logits + i * C;
    float* p = s.buf.probs + i * C;
    float mx = z[0], sum = 0;
    for (size_t j = 1; j < C; ++j) mx = std::fmax(mx, z[j]);
    for (size_t j = 0; j < C; ++j) sum += p[j] = std::exp(z[j] - mx);
    for (size_t j = 0; j < C; ++j) p[j] /= sum;
  }
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
    if (name == t.name) return &t;
  return nullptr;
}
size_t Session::arena_bytes() const { return impl_->arena_bytes; }
const char* Session::kernel_names() const { return impl_->kernel_names.c_str(); }
Isa Session::isa() const { return impl_->ctx.kernels.isa; }

}  // namespace tern
