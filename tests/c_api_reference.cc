// tests/c_api_reference.h: the C++ API's answers, for the C test to compare the C API with.
#include "c_api_reference.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/model.h"
#include "tern/tasks.h"

namespace {

std::unique_ptr<tern::Model> load(const char* blob) {
  auto m = tern::Model::load(blob);
  return m.ok() ? std::move(m.value()) : nullptr;
}

int copy(const std::string& s, char* out, size_t size) {
  if (s.size() >= size) return 1;
  std::memcpy(out, s.c_str(), s.size() + 1);
  return 0;
}

tern::SessionOptions batch_of(size_t count) {
  tern::SessionOptions o;
  o.max_batch = count;
  o.max_new_tokens = 20;
  o.max_beams = 4;
  return o;
}

}  // namespace

extern "C" {

int ref_model_info(const char* blob, size_t* vocab_size, size_t* target_vocab_size, size_t* hidden_size,
                   size_t* max_positions, size_t* num_labels, int* has_tokenizer, int* encoder_decoder) {
  auto m = load(blob);
  if (!m) return 1;
  const tern::ModelInfo& i = m->info();
  *vocab_size = size_t(i.vocab_size);
  *target_vocab_size = size_t(i.target_vocab_size);
  *hidden_size = size_t(i.hidden_size);
  *max_positions = size_t(i.max_positions);
  *num_labels = i.encoder_decoder || i.head == tern::Head::kEmbedding ? 0 : m->num_labels();
  *has_tokenizer = m->has_tokenizer();
  *encoder_decoder = i.encoder_decoder;
  return 0;
}

int ref_classify(const char* blob, const char* const* texts, const char* const* pairs, size_t count, float* scores) {
  auto m = load(blob);
  if (!m) return 1;
  auto c = tern::Classifier::create(*m, batch_of(count));
  if (!c.ok()) return 1;
  std::vector<std::string_view> t(texts, texts + count), p;
  if (pairs) p.assign(pairs, pairs + count);
  if (!c.value()->classify(t.data(), pairs ? p.data() : nullptr, count).ok()) return 1;
  for (size_t i = 0; i < count; ++i)
    std::copy_n(c.value()->scores(i), m->num_labels(), scores + i * m->num_labels());
  return 0;
}

int ref_entities(const char* blob, const char* text, size_t* count, size_t* begins, size_t* ends, float* scores,
                 char (*groups)[32], size_t capacity) {
  auto m = load(blob);
  if (!m) return 1;
  auto c = tern::Classifier::create(*m, batch_of(1));
  std::string_view t = text;
  if (!c.ok() || !c.value()->classify(&t, nullptr, 1).ok()) return 1;
  const tern::Entity* e = c.value()->entities(0, count);
  if (*count > capacity) return 1;
  for (size_t i = 0; i < *count; ++i) {
    begins[i] = e[i].begin;
    ends[i] = e[i].end;
    scores[i] = e[i].score;
    if (copy(std::string(e[i].group), groups[i], 32)) return 1;
  }
  return 0;
}

int ref_embed(const char* blob, const char* text, float* embedding, size_t capacity) {
  auto m = load(blob);
  if (!m) return 1;
  auto e = tern::Embedder::create(*m, batch_of(1));
  std::string_view t = text;
  if (!e.ok() || !e.value()->embed(&t, 1).ok() || capacity < e.value()->dim()) return 1;
  std::copy_n(e.value()->embedding(0), e.value()->dim(), embedding);
  return 0;
}

int ref_tokenize(const char* blob, const char* text, int32_t* ids, size_t capacity, size_t* count) {
  auto m = load(blob);
  if (!m) return 1;
  auto r = m->tokenize(text);
  if (!r.ok() || r->size() > capacity) return 1;
  *count = r->size();
  std::copy(r->begin(), r->end(), ids);
  return 0;
}

int ref_token(const char* blob, int32_t id, char* text, size_t size) {
  auto m = load(blob);
  return m ? copy(std::string(m->token(id)), text, size) : 1;
}

int ref_decode(const char* blob, const int32_t* ids, size_t count, int skip_special, char* text, size_t size) {
  auto m = load(blob);
  return m ? copy(m->decode(ids, count, skip_special != 0), text, size) : 1;
}

int ref_generate(const char* blob, const char* const* texts, const int64_t* ids, const int64_t* mask, size_t batch,
                 size_t seq, const tern_generation_options* options, int32_t* tokens, size_t capacity,
                 size_t* sequences, size_t* length, float* scores) {
  auto m = load(blob);
  if (!m) return 1;
  auto g = tern::Generator::create(*m, batch_of(batch));
  if (!g.ok()) return 1;
  tern::Generator& gen = *g.value();
  std::vector<std::string_view> t;
  if (texts) t.assign(texts, texts + batch);
  tern::GenerationOptions o = gen.defaults(texts ? t[0] : "");
  if (options) {
    o.max_new_tokens = options->max_new_tokens;
    o.min_new_tokens = options->min_new_tokens;
    o.num_beams = options->num_beams;
    o.num_return_sequences = options->num_return_sequences;
    o.length_penalty = options->length_penalty;
    o.no_repeat_ngram_size = options->no_repeat_ngram_size;
    o.early_stopping = options->early_stopping != 0;
    o.do_sample = options->do_sample != 0;
    o.temperature = options->temperature;
    o.top_k = options->top_k;
    o.top_p = options->top_p;
    o.seed = options->seed;
  }
  const tern::Status s = texts ? gen.generate(t.data(), batch, o) : gen.generate(ids, mask, batch, seq, o);
  if (!s.ok()) return 1;
  const tern::Generated& r = gen.generated();
  if (r.sequences * r.length > capacity) return 1;
  *sequences = r.sequences;
  *length = r.length;
  std::copy_n(r.tokens, r.sequences * r.length, tokens);
  if (r.scores) std::copy_n(r.scores, r.sequences, scores);
  return 0;
}

}  // extern "C"
