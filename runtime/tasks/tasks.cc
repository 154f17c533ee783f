#include "tern/tasks.h"

#include <cmath>
#include <vector>

#include "tasks/session_impl.h"

namespace tern {

namespace {

// "B-PER" -> ('B', "PER"), "I-PER" -> ('I', "PER"); any other label is its own inside tag, as in
// transformers' TokenClassificationPipeline.get_tag.
std::pair<char, std::string_view> tag_of(std::string_view label) {
  if (label.size() > 2 && (label[0] == 'B' || label[0] == 'I') && label[1] == '-') return {label[0], label.substr(2)};
  return {'I', label};
}

// The best label of a row of logits and its softmax probability.
std::pair<size_t, float> best_of(const float* z, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n; ++j)
    if (z[j] > z[best]) best = j;
  float sum = 0;
  for (size_t j = 0; j < n; ++j) sum += std::exp(z[j] - z[best]);
  return {best, 1.0f / sum};
}

}  // namespace

struct Classifier::Impl {
  const Model* model;
  std::unique_ptr<Session> session;
  std::vector<TokenOffsets> offsets;  // [max_batch * max_seq]
  std::vector<Entity> entities;       // [max_batch * max_seq]: text i's from i * max_seq
  std::vector<size_t> entity_counts, lengths;

  // Groups one text's tokens (row `row` of the batch's [batch, seq, labels] logits).
  void group(size_t row, size_t seq) {
    const SessionImpl& s = session->impl();
    const size_t labels = model->num_labels(), stride = s.options.max_seq;
    Entity* out = entities.data() + row * stride;
    size_t n = 0, tokens = 0;
    float sum = 0;
    auto close = [&] {
      if (tokens && out[n].group != "O") out[n++].score = sum / float(tokens);
      tokens = 0, sum = 0;
    };
    for (size_t t = 0; t < lengths[row]; ++t) {
      const TokenOffsets& o = offsets[row * stride + t];
      if (o.begin == o.end) continue;  // special tokens
      const auto [label, p] = best_of(s.buf.logits + (row * seq + t) * labels, labels);
      const auto [bi, tag] = tag_of(model->label(label));
      if (tokens && tag == out[n].group && bi != 'B') {
        out[n].end = o.end;
      } else {
        close();
        out[n] = Entity{tag, 0.0f, o.begin, o.end};
      }
      sum += p;
      ++tokens;
    }
    close();
    entity_counts[row] = n;
  }
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

Result<std::unique_ptr<Classifier>> Classifier::create(const Model& model, const SessionOptions& options, void* arena,
                                                       size_t arena_bytes) {
  const ModelInfo& info = model.info();
  TERN_CHECK_OR_RETURN(!info.encoder_decoder && info.head != Head::kEmbedding,
                       Code::kInvalidArgument, "classifier: this model has no classification head (it is %s)",
                       info.encoder_decoder ? "an encoder-decoder" : "an embedding model");
  TERN_CHECK_OR_RETURN(model.has_tokenizer(), Code::kInvalidArgument,
                       "classifier: this model has no tokenizer (convert it with its tokenizer files)");
  Result<std::unique_ptr<Session>> session = Session::create(model, options, arena, arena_bytes);
  if (!session.ok()) return session.status();
  auto impl = std::make_unique<Impl>();
  impl->model = &model;
  impl->session = std::move(session.value());
  const SessionOptions& o = impl->session->impl().options;
  impl->lengths.resize(o.max_batch);
  if (model.info().head == Head::kTokenClassification) {
    impl->offsets.resize(o.max_batch * o.max_seq);
    impl->entities.resize(o.max_batch * o.max_seq);
    impl->entity_counts.resize(o.max_batch);
  }
  return std::unique_ptr<Classifier>(new Classifier(std::move(impl)));
}

Head Classifier::head() const { return impl_->model->info().head; }
bool Classifier::multi_label() const { return impl_->model->info().label_output == LabelOutput::kSigmoid; }

Status Classifier::classify(const std::string_view* texts, const std::string_view* pairs, size_t count) {
  if (head() == Head::kSequenceClassification) return impl_->session->classify(texts, pairs, count);
  TERN_CHECK_OR_RETURN(pairs == nullptr, Code::kInvalidArgument, "classify: token classification takes single texts");
  SessionImpl& s = impl_->session->impl();
  Result<size_t> seq = s.encode_texts("classify", texts, nullptr, count, impl_->offsets.data(), impl_->lengths.data());
  if (!seq.ok()) return seq.status();
  TERN_RETURN_IF_ERROR(s.run_loaded(count, seq.value()));
  for (size_t i = 0; i < count; ++i) impl_->group(i, seq.value());
  return Status();
}

const float* Classifier::scores(size_t i) const { return impl_->session->probabilities(i); }
size_t Classifier::label(size_t i) const { return impl_->session->predicted_label(i); }

const Entity* Classifier::entities(size_t i, size_t* count) const {
  *count = impl_->entity_counts.empty() ? 0 : impl_->entity_counts[i];
  return impl_->entities.data() + i * impl_->session->impl().options.max_seq;
}

Embedder::Embedder(std::unique_ptr<Session> session) : session_(std::move(session)) {}
Embedder::~Embedder() = default;

Result<std::unique_ptr<Embedder>> Embedder::create(const Model& model, const SessionOptions& options, void* arena,
                                                   size_t arena_bytes) {
  TERN_CHECK_OR_RETURN(!model.info().encoder_decoder && model.info().head == Head::kEmbedding,
                       Code::kInvalidArgument, "embedder: this model has no embedding head (convert a "
                       "sentence-transformers folder, with its modules.json)");
  TERN_CHECK_OR_RETURN(model.has_tokenizer(), Code::kInvalidArgument,
                       "embedder: this model has no tokenizer (convert it with its tokenizer files)");
  Result<std::unique_ptr<Session>> session = Session::create(model, options, arena, arena_bytes);
  if (!session.ok()) return session.status();
  return std::unique_ptr<Embedder>(new Embedder(std::move(session.value())));
}

Status Embedder::embed(const std::string_view* texts, size_t count) {
  SessionImpl& s = session_->impl();
  size_t lengths[4096];
  Result<size_t> seq = s.encode_texts("embed", texts, nullptr, count, nullptr, lengths);
  if (!seq.ok()) return seq.status();
  return s.run_loaded(count, seq.value());
}

size_t Embedder::dim() const { return size_t(session_->impl().model->encoder.hidden_size); }
const float* Embedder::embedding(size_t i) const { return session_->impl().buf.pooled + i * dim(); }

Generator::Generator(std::unique_ptr<Session> session) : session_(std::move(session)) {}
Generator::~Generator() = default;

Result<std::unique_ptr<Generator>> Generator::create(const Model& model, const SessionOptions& options, void* arena,
                                                     size_t arena_bytes) {
  TERN_CHECK_OR_RETURN(model.info().encoder_decoder, Code::kInvalidArgument,
                       "generator: this model is an encoder, not an encoder-decoder");
  Result<std::unique_ptr<Session>> session = Session::create(model, options, arena, arena_bytes);
  if (!session.ok()) return session.status();
  return std::unique_ptr<Generator>(new Generator(std::move(session.value())));
}

GenerationOptions Generator::defaults(std::string_view text) const { return session_->generation_defaults(text); }
Status Generator::generate(const std::string_view* texts, size_t count, const GenerationOptions& options,
                           TokenStream stream) {
  return session_->generate(texts, count, options, stream);
}
Status Generator::generate(const int64_t* input_ids, const int64_t* attention_mask, size_t batch, size_t seq,
                           const GenerationOptions& options, TokenStream stream) {
  return session_->generate(input_ids, attention_mask, batch, seq, options, stream);
}
const Generated& Generator::generated() const { return session_->generated(); }

}  // namespace tern
