// The C API (include/tern/tern.h): argument checks and conversions over the task objects of
// tern/tasks.h. Nothing here decides anything the C++ API does not: it checks what C cannot express
// (NULLs, struct sizes, indices into the last results, buffer sizes) and copies results out.
#include "tern/tern.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "tern/model.h"
#include "tern/session.h"
#include "tern/version.h"
#include "tern/tasks.h"

struct tern_model {
  std::unique_ptr<tern::Model> model;
};

// One task object, the one the model's head calls for (task_of), and what a call needs to hand the
// C++ API its texts without allocating.
struct tern_session {
  const tern::Model* model;
  tern_task task;
  std::unique_ptr<tern::Classifier> classifier;
  std::unique_ptr<tern::Embedder> embedder;
  std::unique_ptr<tern::Generator> generator;
  std::vector<std::string_view> texts, pairs;  // [max_batch]: a call's C strings
  size_t results = 0;  // texts the last classify or embed call ran (0 after a failure)
  bool generated = false;  // the last generate call succeeded or was cancelled: its results stand
};

namespace {

using tern::Code;
using tern::Status;

static_assert(int(Code::kCancelled) == TERN_CANCELLED && int(Code::kResourceExhausted) == TERN_RESOURCE_EXHAUSTED,
              "tern_status and tern::Code have the same values");

thread_local char g_error[256] = "";

tern_status fail(const Status& s) {
  std::snprintf(g_error, sizeof(g_error), "%s", s.message());
  return tern_status(int(s.code()));
}

}  // namespace

// A failed check: the C function returns its status with a message that names the function.
#define TERN_C_CHECK(cond, code, ...)                                  \
  do {                                                                 \
    if (!(cond)) return fail(::tern::Status::error(::tern::Code::code, __VA_ARGS__)); \
  } while (0)
#define TERN_C_RETURN_IF_ERROR(expr)         \
  do {                                       \
    const ::tern::Status tern_c_status_ = (expr); \
    if (!tern_c_status_.ok()) return fail(tern_c_status_); \
  } while (0)

namespace {

// A caller's struct of struct_size bytes as this library's T: at least sizeof(T) (every field of
// this first version), and zero past it: a newer header's field this library would ignore is
// refused. More than 4 KiB is not a struct size (an uninitialized field).
template <typename T>
Status read_struct(const char* what, const T* in, T* out) {
  const size_t size = in->struct_size;
  TERN_CHECK_OR_RETURN(size >= sizeof(T) && size <= 4096, Code::kInvalidArgument,
                       "%s: struct_size is %zu, this library's struct has %zu bytes (set it to sizeof)", what, size,
                       sizeof(T));
  const unsigned char* extra = reinterpret_cast<const unsigned char*>(in) + sizeof(T);
  for (size_t i = 0; i < size - sizeof(T); ++i)
    TERN_CHECK_OR_RETURN(extra[i] == 0, Code::kUnsupported,
                         "%s: struct_size %zu has fields this library does not know (it knows %zu bytes)", what,
                         size, sizeof(T));
  std::memcpy(static_cast<void*>(out), in, sizeof(T));
  return Status();
}

// A struct the library fills: the caller's must hold at least this library's fields.
template <typename T>
Status check_out_struct(const char* what, const T* out) {
  TERN_CHECK_OR_RETURN(out->struct_size >= sizeof(T), Code::kInvalidArgument,
                       "%s: struct_size is %zu, this library fills %zu bytes (set it to sizeof)", what,
                       out->struct_size, sizeof(T));
  return Status();
}

// `text` NUL-terminated into out[0..size), cut at a UTF-8 character boundary if it does not fit.
// needed (optional) gets the size it takes. out may be NULL with size 0 (a size query).
tern_status copy_text(const char* what, std::string_view text, char* out, size_t size, size_t* needed) {
  if (needed) *needed = text.size() + 1;
  TERN_C_CHECK(out || size == 0, kInvalidArgument, "%s: text is NULL with size %zu", what, size);
  if (size > 0) {
    size_t n = std::min(text.size(), size - 1);
    while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  TERN_C_CHECK(text.size() < size, kResourceExhausted, "%s: the text needs %zu bytes, the buffer has %zu", what,
               text.size() + 1, size);
  return TERN_OK;
}

tern_task task_of(const tern::ModelInfo& info) {
  if (info.encoder_decoder) return TERN_TASK_GENERATE;
  switch (info.head) {
    case tern::Head::kSequenceClassification: return TERN_TASK_CLASSIFY;
    case tern::Head::kTokenClassification: return TERN_TASK_CLASSIFY_TOKENS;
    case tern::Head::kEmbedding: return TERN_TASK_EMBED;
  }
  return TERN_TASK_CLASSIFY;
}

const char* task_name(tern_task task) {
  switch (task) {
    case TERN_TASK_CLASSIFY: return "sequence classification";
    case TERN_TASK_CLASSIFY_TOKENS: return "token classification";
    case TERN_TASK_EMBED: return "embedding";
    case TERN_TASK_GENERATE: return "generation";
  }
  return "?";
}

// What a session's model does must be what `what` needs.
Status check_task(const char* what, const tern_session* s, tern_task needed) {
  TERN_CHECK_OR_RETURN(s != nullptr, Code::kInvalidArgument, "%s: session is NULL", what);
  TERN_CHECK_OR_RETURN(s->task == needed, Code::kInvalidArgument, "%s: needs a model for %s, this session's is for %s",
                       what, task_name(needed), task_name(s->task));
  return Status();
}

Status session_options(const tern_session_options* in, tern::SessionOptions* o, void** arena, size_t* arena_bytes) {
  *o = tern::SessionOptions();
  *arena = nullptr;
  *arena_bytes = 0;
  if (!in) return Status();
  tern_session_options c;
  TERN_RETURN_IF_ERROR(read_struct("session options", in, &c));
  if (c.threads) o->threads = c.threads;
  if (c.max_batch) o->max_batch = c.max_batch;
  if (c.max_seq) o->max_seq = c.max_seq;
  if (c.max_new_tokens) o->max_new_tokens = c.max_new_tokens;
  if (c.max_beams) o->max_beams = c.max_beams;
  o->truncate = c.truncate != 0;
  if (c.isa) {
    tern::Result<tern::Isa> isa = tern::parse_isa(c.isa);
    if (!isa.ok()) return isa.status();
    o->isa = isa.value();
  }
  TERN_CHECK_OR_RETURN(c.arena || c.arena_bytes == 0, Code::kInvalidArgument,
                       "session options: arena_bytes is %zu but arena is NULL", c.arena_bytes);
  *arena = c.arena;
  *arena_bytes = c.arena_bytes;
  return Status();
}

Status generation_options(const tern_generation_options* in, tern::GenerationOptions* o) {
  tern_generation_options c;
  TERN_RETURN_IF_ERROR(read_struct("generation options", in, &c));
  o->max_new_tokens = c.max_new_tokens;
  o->min_new_tokens = c.min_new_tokens;
  o->num_beams = c.num_beams;
  o->num_return_sequences = c.num_return_sequences;
  o->length_penalty = c.length_penalty;
  o->no_repeat_ngram_size = c.no_repeat_ngram_size;
  o->early_stopping = c.early_stopping != 0;
  o->do_sample = c.do_sample != 0;
  o->temperature = c.temperature;
  o->top_k = c.top_k;
  o->top_p = c.top_p;
  o->seed = c.seed;
  return Status();
}

// texts[0..count) (and pairs, if not NULL) into the session's views, for a call of at most max_batch.
Status take_texts(const char* what, tern_session* s, const char* const* texts, const char* const* pairs, size_t count) {
  TERN_CHECK_OR_RETURN(texts != nullptr, Code::kInvalidArgument, "%s: texts is NULL", what);
  TERN_CHECK_OR_RETURN(count >= 1 && count <= s->texts.size(), Code::kInvalidArgument,
                       "%s: %zu texts, the session was made for 1..%zu (max_batch)", what, count, s->texts.size());
  for (size_t i = 0; i < count; ++i) {
    TERN_CHECK_OR_RETURN(texts[i] != nullptr, Code::kInvalidArgument, "%s: texts[%zu] is NULL", what, i);
    TERN_CHECK_OR_RETURN(!pairs || pairs[i] != nullptr, Code::kInvalidArgument, "%s: pairs[%zu] is NULL", what, i);
    s->texts[i] = texts[i];
    if (pairs) s->pairs[i] = pairs[i];
  }
  return Status();
}

Status check_result(const char* what, const tern_session* s, size_t text) {
  TERN_CHECK_OR_RETURN(text < s->results, Code::kInvalidArgument,
                       "%s: text %zu is not among the %zu of the last successful call", what, text, s->results);
  return Status();
}

// Ids a model's tokenizer decodes: its generated vocabulary for an encoder-decoder.
Status check_ids(const char* what, const tern::Model& m, const int32_t* ids, size_t count) {
  const tern::ModelInfo& info = m.info();
  const int vocab = info.decoded_vocab_size();
  TERN_CHECK_OR_RETURN(m.has_tokenizer(), Code::kInvalidArgument, "%s: this model has no tokenizer", what);
  TERN_CHECK_OR_RETURN(ids || count == 0, Code::kInvalidArgument, "%s: ids is NULL", what);
  for (size_t i = 0; i < count; ++i)
    TERN_CHECK_OR_RETURN(ids[i] >= 0 && ids[i] < vocab, Code::kInvalidArgument,
                         "%s: ids[%zu]=%d is outside the vocabulary of %d", what, i, ids[i], vocab);
  return Status();
}

// A C callback as the C++ API's TokenStream.
struct CStream {
  tern_token_callback on_token;
  void* user;
  static bool call(void* self, size_t sequence, int32_t token) {
    const CStream& s = *static_cast<const CStream*>(self);
    return s.on_token(s.user, sequence, token) != 0;
  }
  tern::TokenStream token_stream() { return on_token ? tern::TokenStream{call, this} : tern::TokenStream(); }
};

// A generate call's status; its results stand when it succeeded or was cancelled.
tern_status after_generate(tern_session* session, const Status& s) {
  session->generated = s.ok() || s.code() == Code::kCancelled;
  return s.ok() ? TERN_OK : fail(s);
}

tern_status out_of_memory(const char* what) {
  return fail(Status::error(Code::kResourceExhausted, "%s: out of memory", what));
}

}  // namespace

extern "C" {

const char* tern_status_message(tern_status status) {
  return status >= TERN_OK && status <= TERN_CANCELLED ? tern::code_name(Code(int(status))) : "unknown status";
}

const char* tern_last_error(void) { return g_error; }

const char* tern_version(void) { return tern::version(); }

// ---- Models

tern_status tern_model_load(const char* path, tern_model** model) {
  TERN_C_CHECK(path && model, kInvalidArgument, "tern_model_load: path or model is NULL");
  *model = nullptr;
  try {
    auto loaded = tern::Model::load(path);
    if (!loaded.ok()) return fail(loaded.status());
    *model = new tern_model{std::move(loaded.value())};
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_model_load");
  }
  return TERN_OK;
}

tern_status tern_model_load_buffer(const void* data, size_t size, tern_model** model) {
  TERN_C_CHECK(data && model, kInvalidArgument, "tern_model_load_buffer: data or model is NULL");
  *model = nullptr;
  try {
    auto loaded = tern::Model::from_buffer(data, size);
    if (!loaded.ok()) return fail(loaded.status());
    *model = new tern_model{std::move(loaded.value())};
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_model_load_buffer");
  }
  return TERN_OK;
}

void tern_model_free(tern_model* model) { delete model; }

tern_status tern_model_get_info(const tern_model* model, tern_model_info* info) {
  TERN_C_CHECK(model && info, kInvalidArgument, "tern_model_get_info: model or info is NULL");
  TERN_C_RETURN_IF_ERROR(check_out_struct("tern_model_get_info", info));
  const tern::Model& m = *model->model;
  const tern::ModelInfo& i = m.info();
  tern_model_info out;
  out.struct_size = info->struct_size;
  out.arch = tern::arch_name(i.arch);
  out.task = task_of(i);
  out.encoder_decoder = i.encoder_decoder;
  out.has_tokenizer = m.has_tokenizer();
  out.multi_label = !i.encoder_decoder && i.label_output == tern::LabelOutput::kSigmoid;
  out.vocab_size = size_t(i.vocab_size);
  out.target_vocab_size = size_t(i.target_vocab_size);
  out.hidden_size = size_t(i.hidden_size);
  out.max_positions = size_t(i.max_positions);
  out.num_labels = tern_model_num_labels(model);
  out.decoder_start_token_id = i.decoder_start_token_id;
  out.eos_token_id = i.eos_token_id;
  out.pad_token_id = i.pad_token_id;
  std::memcpy(static_cast<void*>(info), &out, sizeof(out));
  return TERN_OK;
}

const char* tern_model_arch(const tern_model* model) { return model ? tern::arch_name(model->model->arch()) : ""; }

size_t tern_model_num_labels(const tern_model* model) {
  if (!model) return 0;
  return model->model->info().encoder_decoder || model->model->info().head == tern::Head::kEmbedding
             ? 0 : model->model->num_labels();
}

const char* tern_model_label(const tern_model* model, size_t label) {
  if (!model) return "";
  // id2label strings live in the blob, NUL-terminated by flatbuffers: safe to hand out.
  std::string_view name = model->model->label(label);
  return name.empty() ? "" : name.data();
}

// ---- Tokenizer

tern_status tern_tokenize(const tern_model* model, const char* text, int32_t* ids, size_t capacity, size_t* count) {
  TERN_C_CHECK(model && text && count, kInvalidArgument, "tern_tokenize: model, text or count is NULL");
  TERN_C_CHECK(ids || capacity == 0, kInvalidArgument, "tern_tokenize: ids is NULL with capacity %zu", capacity);
  *count = 0;
  try {
    tern::Result<std::vector<int32_t>> tokens = model->model->tokenize(text);
    if (!tokens.ok()) return fail(tokens.status());
    *count = tokens->size();
    std::copy_n(tokens->begin(), std::min(capacity, tokens->size()), ids);
    TERN_C_CHECK(tokens->size() <= capacity, kResourceExhausted, "tern_tokenize: %zu ids, the buffer holds %zu",
                 tokens->size(), capacity);
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_tokenize");
  }
  return TERN_OK;
}

tern_status tern_token_text(const tern_model* model, int32_t id, char* text, size_t size, size_t* needed) {
  TERN_C_CHECK(model, kInvalidArgument, "tern_token_text: model is NULL");
  TERN_C_RETURN_IF_ERROR(check_ids("tern_token_text", *model->model, &id, 1));
  return copy_text("tern_token_text", model->model->token(id), text, size, needed);
}

tern_status tern_decode(const tern_model* model, const int32_t* ids, size_t count, int skip_special, char* text,
                        size_t size, size_t* needed) {
  TERN_C_CHECK(model, kInvalidArgument, "tern_decode: model is NULL");
  TERN_C_RETURN_IF_ERROR(check_ids("tern_decode", *model->model, ids, count));
  try {
    return copy_text("tern_decode", model->model->decode(ids, count, skip_special != 0), text, size, needed);
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_decode");
  }
}

// ---- Sessions

tern_status tern_required_arena_bytes(const tern_model* model, const tern_session_options* options, size_t* bytes) {
  TERN_C_CHECK(model && bytes, kInvalidArgument, "tern_required_arena_bytes: model or bytes is NULL");
  tern::SessionOptions o;
  void* arena;
  size_t arena_bytes;
  TERN_C_RETURN_IF_ERROR(session_options(options, &o, &arena, &arena_bytes));
  tern::Result<size_t> need = tern::Session::required_arena_bytes(*model->model, o);
  if (!need.ok()) return fail(need.status());
  *bytes = need.value();
  return TERN_OK;
}

tern_status tern_session_create(const tern_model* model, const tern_session_options* options, tern_session** session) {
  TERN_C_CHECK(model && session, kInvalidArgument, "tern_session_create: model or session is NULL");
  *session = nullptr;
  tern::SessionOptions o;
  void* arena;
  size_t arena_bytes;
  TERN_C_RETURN_IF_ERROR(session_options(options, &o, &arena, &arena_bytes));
  const tern::Model& m = *model->model;
  try {
    auto s = std::make_unique<tern_session>();
    s->model = &m;
    s->task = task_of(m.info());
    if (s->task == TERN_TASK_GENERATE) {
      auto g = tern::Generator::create(m, o, arena, arena_bytes);
      if (!g.ok()) return fail(g.status());
      s->generator = std::move(g.value());
    } else if (s->task == TERN_TASK_EMBED) {
      auto e = tern::Embedder::create(m, o, arena, arena_bytes);
      if (!e.ok()) return fail(e.status());
      s->embedder = std::move(e.value());
    } else {
      auto c = tern::Classifier::create(m, o, arena, arena_bytes);
      if (!c.ok()) return fail(c.status());
      s->classifier = std::move(c.value());
    }
    s->texts.resize(o.max_batch);  // checked by create
    s->pairs.resize(o.max_batch);
    *session = s.release();
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_session_create");
  }
  return TERN_OK;
}

void tern_session_free(tern_session* session) { delete session; }

// ---- Classification

tern_status tern_classify_batch(tern_session* session, const char* const* texts, const char* const* pairs, size_t count) {
  TERN_C_CHECK(session, kInvalidArgument, "tern_classify_batch: session is NULL");
  TERN_C_CHECK(session->classifier, kInvalidArgument, "tern_classify_batch: needs a classifier, this session's model is for %s",
               task_name(session->task));
  session->results = 0;
  TERN_C_RETURN_IF_ERROR(take_texts("tern_classify_batch", session, texts, pairs, count));
  TERN_C_RETURN_IF_ERROR(session->classifier->classify(session->texts.data(), pairs ? session->pairs.data() : nullptr, count));
  session->results = count;
  return TERN_OK;
}

tern_status tern_classify_scores(const tern_session* session, size_t text, float* scores, size_t capacity) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_classify_scores", session, TERN_TASK_CLASSIFY));
  TERN_C_CHECK(scores, kInvalidArgument, "tern_classify_scores: scores is NULL");
  TERN_C_RETURN_IF_ERROR(check_result("tern_classify_scores", session, text));
  const size_t labels = session->model->num_labels();
  TERN_C_CHECK(capacity >= labels, kResourceExhausted, "tern_classify_scores: %zu labels, the buffer holds %zu", labels,
               capacity);
  std::memcpy(scores, session->classifier->scores(text), labels * sizeof(float));
  return TERN_OK;
}

tern_status tern_classify_top_k(const tern_session* session, size_t text, size_t k, size_t* labels, float* scores) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_classify_top_k", session, TERN_TASK_CLASSIFY));
  TERN_C_CHECK(labels, kInvalidArgument, "tern_classify_top_k: labels is NULL");
  TERN_C_RETURN_IF_ERROR(check_result("tern_classify_top_k", session, text));
  const size_t n = session->model->num_labels();
  TERN_C_CHECK(k >= 1 && k <= n, kInvalidArgument, "tern_classify_top_k: k=%zu is not in 1..%zu (the labels)", k, n);
  // Insertion into the best k seen so far, best first; ties keep the lower id first.
  const float* p = session->classifier->scores(text);
  size_t kept = 0;
  for (size_t l = 0; l < n; ++l) {
    if (kept == k && !(p[l] > p[labels[k - 1]])) continue;
    size_t j = kept < k ? kept++ : k - 1;
    for (; j > 0 && p[labels[j - 1]] < p[l]; --j) labels[j] = labels[j - 1];
    labels[j] = l;
  }
  for (size_t j = 0; scores && j < k; ++j) scores[j] = p[labels[j]];
  return TERN_OK;
}

tern_status tern_classify_entities(const tern_session* session, size_t text, tern_entity* entities, size_t capacity,
                                   size_t* count) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_classify_entities", session, TERN_TASK_CLASSIFY_TOKENS));
  TERN_C_CHECK(count && (entities || capacity == 0), kInvalidArgument,
               "tern_classify_entities: count is NULL, or entities is NULL with capacity %zu", capacity);
  TERN_C_RETURN_IF_ERROR(check_result("tern_classify_entities", session, text));
  size_t n = 0;
  const tern::Entity* found = session->classifier->entities(text, &n);
  *count = n;
  for (size_t i = 0; i < std::min(n, capacity); ++i)
    // An entity's group is the end of a label (id2label, NUL-terminated in the blob): a C string.
    entities[i] = tern_entity{found[i].group.data(), found[i].score, found[i].begin, found[i].end};
  TERN_C_CHECK(n <= capacity, kResourceExhausted, "tern_classify_entities: %zu entities, the buffer holds %zu", n,
               capacity);
  return TERN_OK;
}

tern_status tern_classify(tern_session* session, const char* text, size_t* label, float* probability) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_classify", session, TERN_TASK_CLASSIFY));
  TERN_C_CHECK(text && label, kInvalidArgument, "tern_classify: text or label is NULL");
  const tern_status status = tern_classify_batch(session, &text, nullptr, 1);
  if (status != TERN_OK) return status;
  *label = session->classifier->label(0);
  if (probability) *probability = session->classifier->scores(0)[*label];
  return TERN_OK;
}

// ---- Embeddings

tern_status tern_embed(tern_session* session, const char* const* texts, size_t count) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_embed", session, TERN_TASK_EMBED));
  session->results = 0;
  TERN_C_RETURN_IF_ERROR(take_texts("tern_embed", session, texts, nullptr, count));
  TERN_C_RETURN_IF_ERROR(session->embedder->embed(session->texts.data(), count));
  session->results = count;
  return TERN_OK;
}

tern_status tern_embedding(const tern_session* session, size_t text, float* embedding, size_t capacity) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_embedding", session, TERN_TASK_EMBED));
  TERN_C_CHECK(embedding, kInvalidArgument, "tern_embedding: embedding is NULL");
  TERN_C_RETURN_IF_ERROR(check_result("tern_embedding", session, text));
  const size_t dim = session->embedder->dim();
  TERN_C_CHECK(capacity >= dim, kResourceExhausted, "tern_embedding: %zu dimensions, the buffer holds %zu", dim, capacity);
  std::memcpy(embedding, session->embedder->embedding(text), dim * sizeof(float));
  return TERN_OK;
}

// ---- Generation

tern_status tern_generation_defaults(const tern_session* session, const char* text, tern_generation_options* options) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_generation_defaults", session, TERN_TASK_GENERATE));
  TERN_C_CHECK(options, kInvalidArgument, "tern_generation_defaults: options is NULL");
  TERN_C_RETURN_IF_ERROR(check_out_struct("tern_generation_defaults", options));
  const tern::GenerationOptions g = session->generator->defaults(text ? text : "");
  tern_generation_options out;
  out.struct_size = options->struct_size;
  out.max_new_tokens = g.max_new_tokens;
  out.min_new_tokens = g.min_new_tokens;
  out.num_beams = g.num_beams;
  out.num_return_sequences = g.num_return_sequences;
  out.length_penalty = g.length_penalty;
  out.no_repeat_ngram_size = g.no_repeat_ngram_size;
  out.early_stopping = g.early_stopping;
  out.do_sample = g.do_sample;
  out.temperature = g.temperature;
  out.top_k = g.top_k;
  out.top_p = g.top_p;
  out.seed = g.seed;
  std::memcpy(static_cast<void*>(options), &out, sizeof(out));
  return TERN_OK;
}

tern_status tern_generate_texts(tern_session* session, const char* const* texts, size_t count,
                                const tern_generation_options* options, tern_token_callback on_token, void* user) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_generate_texts", session, TERN_TASK_GENERATE));
  session->generated = false;
  TERN_C_RETURN_IF_ERROR(take_texts("tern_generate_texts", session, texts, nullptr, count));
  tern::GenerationOptions o = session->generator->defaults(session->texts[0]);
  if (options) TERN_C_RETURN_IF_ERROR(generation_options(options, &o));
  CStream stream{on_token, user};
  return after_generate(session, session->generator->generate(session->texts.data(), count, o, stream.token_stream()));
}

tern_status tern_generate_ids(tern_session* session, const int64_t* input_ids, const int64_t* attention_mask, size_t batch,
                              size_t seq, const tern_generation_options* options, tern_token_callback on_token, void* user) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_generate_ids", session, TERN_TASK_GENERATE));
  session->generated = false;
  TERN_C_CHECK(input_ids, kInvalidArgument, "tern_generate_ids: input_ids is NULL");
  tern::GenerationOptions o = session->generator->defaults("");
  if (options) TERN_C_RETURN_IF_ERROR(generation_options(options, &o));
  CStream stream{on_token, user};
  return after_generate(session, session->generator->generate(input_ids, attention_mask, batch, seq, o, stream.token_stream()));
}

tern_status tern_generated_shape(const tern_session* session, size_t* sequences, size_t* length) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_generated_shape", session, TERN_TASK_GENERATE));
  TERN_C_CHECK(sequences && length, kInvalidArgument, "tern_generated_shape: sequences or length is NULL");
  const tern::Generated& g = session->generator->generated();
  *sequences = session->generated ? g.sequences : 0;
  *length = session->generated ? g.length : 0;
  return TERN_OK;
}

namespace {

// Row `sequence` of the last generation, or an error.
Status generated_row(const char* what, const tern_session* session, size_t sequence, const int32_t** row) {
  TERN_RETURN_IF_ERROR(check_task(what, session, TERN_TASK_GENERATE));
  const tern::Generated& g = session->generator->generated();
  const size_t sequences = session->generated ? g.sequences : 0;
  TERN_CHECK_OR_RETURN(sequence < sequences, Code::kInvalidArgument,
                       "%s: sequence %zu is not among the %zu of the last generation", what, sequence, sequences);
  *row = g.tokens + sequence * g.length;
  return Status();
}

}  // namespace

tern_status tern_generated_ids(const tern_session* session, size_t sequence, int32_t* ids, size_t capacity) {
  const int32_t* row = nullptr;
  TERN_C_RETURN_IF_ERROR(generated_row("tern_generated_ids", session, sequence, &row));
  TERN_C_CHECK(ids, kInvalidArgument, "tern_generated_ids: ids is NULL");
  const size_t length = session->generator->generated().length;
  std::copy_n(row, std::min(length, capacity), ids);
  TERN_C_CHECK(capacity >= length, kResourceExhausted, "tern_generated_ids: %zu ids, the buffer holds %zu", length,
               capacity);
  return TERN_OK;
}

tern_status tern_generated_score(const tern_session* session, size_t sequence, float* score) {
  const int32_t* row = nullptr;
  TERN_C_RETURN_IF_ERROR(generated_row("tern_generated_score", session, sequence, &row));
  TERN_C_CHECK(score, kInvalidArgument, "tern_generated_score: score is NULL");
  const tern::Generated& g = session->generator->generated();
  TERN_C_CHECK(g.scores, kInvalidArgument, "tern_generated_score: only beam search scores its sequences");
  *score = g.scores[sequence];
  return TERN_OK;
}

tern_status tern_generated_text(const tern_session* session, size_t sequence, char* text, size_t size, size_t* needed) {
  const int32_t* row = nullptr;
  TERN_C_RETURN_IF_ERROR(generated_row("tern_generated_text", session, sequence, &row));
  TERN_C_CHECK(session->model->has_tokenizer(), kInvalidArgument, "tern_generated_text: this model has no tokenizer");
  try {
    return copy_text("tern_generated_text", session->model->decode(row, session->generator->generated().length), text,
                     size, needed);
  } catch (const std::bad_alloc&) {
    return out_of_memory("tern_generated_text");
  }
}

tern_status tern_generate(tern_session* session, const char* text, char* out, size_t size) {
  TERN_C_RETURN_IF_ERROR(check_task("tern_generate", session, TERN_TASK_GENERATE));
  TERN_C_CHECK(text && out && size > 0, kInvalidArgument, "tern_generate: text or out is NULL, or size is 0");
  const tern_status status = tern_generate_texts(session, &text, 1, nullptr, nullptr, nullptr);
  if (status != TERN_OK) return status;
  return tern_generated_text(session, 0, out, size, nullptr);
}

}  // extern "C"
