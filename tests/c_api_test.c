/* The C API (tern/tern.h), compiled as C99: every function, its error paths (NULLs, wrong
 * struct_size, too-small buffers, indices out of range, a model without the task), and its results
 * against the C++ API's on the test blobs (c_api_reference.h).
 *   c_api_test BLOBS_DIR */
#define _POSIX_C_SOURCE 200112L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api_reference.h"
#include "tern/tern.h"

static int checks, failures;

#define CHECK(cond)                                                                                        \
  do {                                                                                                     \
    ++checks;                                                                                              \
    if (!(cond)) {                                                                                         \
      ++failures;                                                                                          \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, #cond, tern_last_error()); \
    }                                                                                                      \
  } while (0)

/* `call` returns `expected`; an error's message is not empty. */
#define CHECK_STATUS(expected, call)                                                                       \
  do {                                                                                                     \
    const tern_status got_ = (call);                                                                       \
    ++checks;                                                                                              \
    if (got_ != (expected)) {                                                                              \
      ++failures;                                                                                          \
      fprintf(stderr, "%s:%d: %s gave %d (%s), expected %d (last error: %s)\n", __FILE__, __LINE__, #call, \
              (int)got_, tern_status_message(got_), (int)(expected), tern_last_error());                   \
    } else if (got_ != TERN_OK && tern_last_error()[0] == '\0') {                                          \
      ++failures;                                                                                          \
      fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, __LINE__, #call);                  \
    }                                                                                                      \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(TERN_OK, call)

/* Without this, nothing after can run. */
#define REQUIRE_OK(call)                                                                                   \
  do {                                                                                                     \
    if ((call) != TERN_OK) {                                                                               \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, tern_last_error());             \
      exit(1);                                                                                             \
    }                                                                                                      \
  } while (0)

static const char* blobs_dir;

static const char* blob(const char* name) {
  static char paths[8][512];
  static int next;
  char* path = paths[next++ % 8];
  snprintf(path, sizeof paths[0], "%s/%s.tern", blobs_dir, name);
  return path;
}

static tern_model* load(const char* name) {
  tern_model* model = NULL;
  REQUIRE_OK(tern_model_load(blob(name), &model));
  return model;
}

static tern_session* session_for(const tern_model* model, size_t max_batch) {
  tern_session_options o;
  tern_session* session = NULL;
  tern_session_options_init(&o);
  o.max_batch = max_batch;
  o.max_new_tokens = 20;
  o.max_beams = 4;
  REQUIRE_OK(tern_session_create(model, &o, &session));
  return session;
}

static int close_to(float a, float b) { return fabsf(a - b) <= 1e-6f; }

/* ---- status and errors ---- */

static void test_status(void) {
  int s;
  CHECK(tern_last_error() != NULL);
  for (s = TERN_OK; s <= TERN_CANCELLED; ++s) {
    const char* m = tern_status_message((tern_status)s);
    CHECK(m != NULL && m[0] != '\0' && strcmp(m, "unknown status") != 0);
    if (s > TERN_OK) CHECK(strcmp(m, tern_status_message((tern_status)(s - 1))) != 0);
  }
  CHECK(strcmp(tern_status_message(TERN_CANCELLED), "cancelled") == 0);
  CHECK(strcmp(tern_status_message((tern_status)99), "unknown status") == 0);
  CHECK(strcmp(tern_status_message((tern_status)-1), "unknown status") == 0);
}

/* ---- models ---- */

static void* read_aligned(const char* path, size_t* size) {
  void* data = NULL;
  FILE* f = fopen(path, "rb");
  long n;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) exit(1);
  /* One spare 64-byte block: the test also loads from data + 1 (misaligned). */
  if (posix_memalign(&data, 64, (size_t)n + 64) != 0 || fread(data, 1, (size_t)n, f) != (size_t)n) exit(1);
  fclose(f);
  *size = (size_t)n;
  return data;
}

static void check_info(const char* name, tern_task task, const char* arch) {
  tern_model* model = load(name);
  tern_model_info info;
  size_t vocab, target_vocab, hidden, positions, labels;
  int has_tokenizer, encoder_decoder;
  info.struct_size = sizeof info;
  CHECK_OK(tern_model_get_info(model, &info));
  CHECK(ref_model_info(blob(name), &vocab, &target_vocab, &hidden, &positions, &labels, &has_tokenizer,
                       &encoder_decoder) == 0);
  CHECK(info.struct_size == sizeof info);
  CHECK(strcmp(info.arch, arch) == 0);
  CHECK(strcmp(tern_model_arch(model), arch) == 0);
  CHECK(info.task == task);
  CHECK(info.encoder_decoder == encoder_decoder);
  CHECK(info.encoder_decoder == (task == TERN_TASK_GENERATE));
  CHECK(info.has_tokenizer == has_tokenizer);
  CHECK(info.vocab_size == vocab);
  CHECK(info.target_vocab_size == target_vocab);
  CHECK(info.hidden_size == hidden);
  CHECK(info.max_positions == positions);
  CHECK(info.num_labels == labels);
  CHECK(tern_model_num_labels(model) == labels);
  if (encoder_decoder) {
    CHECK(info.eos_token_id >= 0 && info.pad_token_id >= 0 && info.decoder_start_token_id >= 0);
  } else {
    CHECK(info.eos_token_id == -1 && info.pad_token_id == -1 && info.decoder_start_token_id == -1);
  }
  tern_model_free(model);
}

static void test_models(void) {
  tern_model* model = NULL;
  tern_model* from_buffer = NULL;
  tern_model_info info, buffer_info;
  size_t size;
  void* data;
  union {
    tern_model_info info;
    unsigned char bytes[sizeof(tern_model_info) + 32];
  } bigger;

  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_load(NULL, &model));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_load(blob("bert_zip_int8"), NULL));
  CHECK_STATUS(TERN_IO, tern_model_load(blob("no_such_model"), &model));
  CHECK(model == NULL);
  CHECK(strstr(tern_last_error(), "no_such_model") != NULL);

  data = read_aligned(blob("bert_zip_int8"), &size);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_load_buffer(NULL, size, &model));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_load_buffer(data, size, NULL));
  CHECK(tern_model_load_buffer((const char*)data + 1, size, &model) != TERN_OK);
  CHECK(strstr(tern_last_error(), "aligned") != NULL);
  CHECK_STATUS(TERN_INVALID_MODEL, tern_model_load_buffer(data, size / 2, &model));
  CHECK_STATUS(TERN_INVALID_MODEL, tern_model_load_buffer(data, 16, &model));
  CHECK(model == NULL);
  CHECK_OK(tern_model_load_buffer(data, size, &from_buffer));
  model = load("bert_zip_int8");
  info.struct_size = buffer_info.struct_size = sizeof info;
  CHECK_OK(tern_model_get_info(model, &info));
  CHECK_OK(tern_model_get_info(from_buffer, &buffer_info));
  CHECK(info.num_labels == buffer_info.num_labels && info.vocab_size == buffer_info.vocab_size);
  CHECK(strcmp(tern_model_label(model, 1), tern_model_label(from_buffer, 1)) == 0);
  tern_model_free(from_buffer);
  free(data);

  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_get_info(NULL, &info));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_get_info(model, NULL));
  info.struct_size = 0;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_get_info(model, &info));
  info.struct_size = sizeof info - 1;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_model_get_info(model, &info));
  /* A newer header's bigger struct: this library fills its own fields, leaves the rest. */
  memset(&bigger, 0x5a, sizeof bigger);
  bigger.info.struct_size = sizeof bigger;
  CHECK_OK(tern_model_get_info(model, &bigger.info));
  CHECK(bigger.info.struct_size == sizeof bigger && bigger.info.num_labels == info.num_labels);
  CHECK(bigger.bytes[sizeof(tern_model_info)] == 0x5a);

  CHECK(strcmp(tern_model_arch(NULL), "") == 0);
  CHECK(tern_model_num_labels(NULL) == 0);
  CHECK(strcmp(tern_model_label(NULL, 0), "") == 0);
  CHECK(strcmp(tern_model_label(model, 0), "LABEL_0") == 0);
  CHECK(strcmp(tern_model_label(model, tern_model_num_labels(model)), "") == 0);
  tern_model_free(model);
  tern_model_free(NULL);

  check_info("bert_zip_int8", TERN_TASK_CLASSIFY, "bert");
  check_info("bert_tokcls_zip_int8", TERN_TASK_CLASSIFY_TOKENS, "bert");
  check_info("bert_multilabel_zip_int8", TERN_TASK_CLASSIFY, "bert");
  check_info("bert_embed_zip_int8", TERN_TASK_EMBED, "bert");
  check_info("torch_encoder_zip_int8", TERN_TASK_CLASSIFY, "torch-encoder");
  check_info("t5_tiny_zip_int8", TERN_TASK_GENERATE, "t5");
  check_info("torch_seq2seq_zip_int8", TERN_TASK_GENERATE, "torch-seq2seq");
  model = load("bert_multilabel_zip_int8");
  info.struct_size = sizeof info;
  CHECK_OK(tern_model_get_info(model, &info));
  CHECK(info.multi_label == 1);
  tern_model_free(model);
}

/* ---- tokenizer ---- */

static void check_tokenizer(const char* name, const char* text) {
  tern_model* model = load(name);
  int32_t ids[64], ref_ids[64];
  size_t count = 0, ref_count = 0, needed = 0, i;
  char got[256], ref[256];

  CHECK_OK(tern_tokenize(model, text, ids, 64, &count));
  CHECK(ref_tokenize(blob(name), text, ref_ids, 64, &ref_count) == 0);
  CHECK(count == ref_count && count > 2);
  CHECK(memcmp(ids, ref_ids, count * sizeof ids[0]) == 0);
  for (i = 0; i < count; ++i) {
    CHECK_OK(tern_token_text(model, ids[i], got, sizeof got, &needed));
    CHECK(ref_token(blob(name), ids[i], ref, sizeof ref) == 0);
    CHECK(strcmp(got, ref) == 0);
    CHECK(needed == strlen(got) + 1);
  }
  for (i = 0; i < 2; ++i) {
    CHECK_OK(tern_decode(model, ids, count, (int)i, got, sizeof got, &needed));
    CHECK(ref_decode(blob(name), ids, count, (int)i, ref, sizeof ref) == 0);
    CHECK(strcmp(got, ref) == 0);
    CHECK(needed == strlen(ref) + 1);
  }

  /* A buffer too small: the count or size needed, as much as fits. */
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_tokenize(model, text, ids, 2, &count));
  CHECK(count == ref_count && ids[0] == ref_ids[0] && ids[1] == ref_ids[1]);
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_tokenize(model, text, NULL, 0, &count));
  CHECK(count == ref_count);
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_decode(model, ids, ref_count, 1, NULL, 0, &needed));
  CHECK(needed == strlen(ref) + 1);
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_decode(model, ids, ref_count, 1, got, 4, &needed));
  CHECK(strlen(got) <= 3 && strncmp(got, ref, strlen(got)) == 0);
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_token_text(model, ids[1], got, 1, &needed));
  CHECK(got[0] == '\0');

  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(NULL, text, ids, 64, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(model, NULL, ids, 64, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(model, text, NULL, 64, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(model, text, ids, 64, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(model, "caf\xc3", ids, 64, &count)); /* invalid UTF-8 */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_token_text(NULL, 5, got, sizeof got, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_token_text(model, -1, got, sizeof got, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_token_text(model, 1 << 30, got, sizeof got, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_token_text(model, 5, NULL, sizeof got, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_decode(NULL, ids, count, 1, got, sizeof got, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_decode(model, NULL, 3, 1, got, sizeof got, NULL));
  CHECK_OK(tern_decode(model, NULL, 0, 1, got, sizeof got, NULL));
  CHECK(got[0] == '\0');
  ids[1] = -7;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_decode(model, ids, 2, 1, got, sizeof got, NULL));
  CHECK(strstr(tern_last_error(), "ids[1]=-7") != NULL);
  tern_model_free(model);
}

static void test_tokenizer(void) {
  tern_model* model;
  int32_t ids[4] = {5, 6, 7, 8};
  size_t count;
  char text[64];
  check_tokenizer("bert_zip_int8", "Hello world, again!");
  check_tokenizer("t5_tiny_zip_int8", "translate English to German: The house is wonderful.");
  /* A model without a tokenizer. */
  model = load("torch_seq2seq_zip_int8");
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_tokenize(model, "hello", ids, 4, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_token_text(model, 5, text, sizeof text, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_decode(model, ids, 4, 1, text, sizeof text, NULL));
  tern_model_free(model);
}

/* ---- sessions ---- */

static void test_sessions(void) {
  tern_model* bert = load("bert_zip_int8");
  tern_session* session = NULL;
  tern_session_options o;
  union {
    tern_session_options options;
    unsigned char bytes[sizeof(tern_session_options) + 16];
  } bigger;
  size_t need = 0, need_default = 0, label = 0;
  void* arena = NULL;

  tern_session_options_init(&o);
  CHECK(o.struct_size == sizeof o && o.max_batch == 0 && o.isa == NULL && o.arena == NULL);
  CHECK_OK(tern_required_arena_bytes(bert, NULL, &need_default));
  CHECK_OK(tern_required_arena_bytes(bert, &o, &need));
  CHECK(need == need_default && need > 0);
  o.max_batch = 4;
  CHECK_OK(tern_required_arena_bytes(bert, &o, &need));
  CHECK(need > need_default);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_required_arena_bytes(NULL, &o, &need));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_required_arena_bytes(bert, &o, NULL));

  /* The caller's arena: exactly what it needs works, less is refused, and it must be aligned. */
  o.max_batch = 1;
  CHECK_OK(tern_required_arena_bytes(bert, &o, &need));
  CHECK(posix_memalign(&arena, 64, need + 64) == 0);
  o.arena = arena;
  o.arena_bytes = need - 64;
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_session_create(bert, &o, &session));
  CHECK(session == NULL);
  o.arena = (char*)arena + 1;
  o.arena_bytes = need;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  o.arena = NULL;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  o.arena = arena;
  CHECK_OK(tern_session_create(bert, &o, &session));
  CHECK_OK(tern_classify(session, "Hello world", &label, NULL));
  tern_session_free(session);
  free(arena);

  /* Options: wrong struct_size, unknown fields, bad values. */
  tern_session_options_init(&o);
  o.struct_size = 0;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  CHECK(strstr(tern_last_error(), "struct_size") != NULL);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_required_arena_bytes(bert, &o, &need));
  o.struct_size = sizeof o - 1;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  o.struct_size = 1 << 20;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  memset(&bigger, 0, sizeof bigger);
  bigger.options.struct_size = sizeof bigger;
  CHECK_OK(tern_session_create(bert, &bigger.options, &session)); /* zero past this library's fields */
  tern_session_free(session);
  bigger.bytes[sizeof(tern_session_options) + 3] = 1;
  CHECK_STATUS(TERN_UNSUPPORTED, tern_session_create(bert, &bigger.options, &session));
  tern_session_options_init(&o);
  o.isa = "sse9";
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  CHECK(strstr(tern_last_error(), "sse9") != NULL);
  o.isa = "ref";
  o.threads = 2;
  CHECK_OK(tern_session_create(bert, &o, &session));
  tern_session_free(session);
  o.isa = "auto";
  o.max_batch = 5000;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  o.max_batch = 1;
  o.max_seq = 100000;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));
  o.max_seq = 0;
  o.threads = 1000;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, &o, &session));

  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(NULL, NULL, &session));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, NULL, NULL));
  tern_session_free(NULL);
  tern_model_free(bert);

  /* A classifier without a tokenizer cannot take text: refused at creation. */
  bert = load("torch_encoder_zip_int8");
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_session_create(bert, NULL, &session));
  CHECK(strstr(tern_last_error(), "tokenizer") != NULL);
  CHECK(session == NULL);
  tern_model_free(bert);
}

/* ---- classification ---- */

static void test_classify(void) {
  const char* name = "bert_zip_int8";
  tern_model* model = load(name);
  tern_model* embedder_model = load("bert_embed_zip_int8");
  tern_session* session = session_for(model, 3);
  tern_session* embedder = session_for(embedder_model, 1);
  const char* texts[3] = {"Hello world!", "Das Haus ist wunderbar, sagt sie.", "x"};
  const char* pairs[3] = {"Hallo Welt!", "only second", "y"};
  const char* with_null[2] = {"fine", NULL};
  const size_t n = tern_model_num_labels(model);
  float scores[3 * 16], ref[3 * 16], top_scores[16], p = 0;
  size_t labels[16], label = 99, i, j, count = 0;
  tern_entity entity;
  int pass;

  CHECK(n >= 2 && n <= 16);
  for (pass = 0; pass < 2; ++pass) {
    const char* const* second = pass ? pairs : NULL;
    CHECK_OK(tern_classify_batch(session, texts, second, 3));
    CHECK(ref_classify(blob(name), texts, second, 3, ref) == 0);
    for (i = 0; i < 3; ++i) {
      float sum = 0;
      CHECK_OK(tern_classify_scores(session, i, scores + i * n, n));
      for (j = 0; j < n; ++j) CHECK(close_to(scores[i * n + j], ref[i * n + j]));
      for (j = 0; j < n; ++j) sum += scores[i * n + j];
      CHECK(fabsf(sum - 1.0f) < 1e-4f);
      /* top-k: best first, the same scores; k = 1 is tern_classify's label. */
      CHECK_OK(tern_classify_top_k(session, i, n, labels, top_scores));
      for (j = 0; j < n; ++j) CHECK(top_scores[j] == scores[i * n + labels[j]]);
      for (j = 1; j < n; ++j) CHECK(top_scores[j - 1] >= top_scores[j]);
      for (j = 0; j < n; ++j) CHECK(scores[i * n + j] <= top_scores[0]);
      CHECK_OK(tern_classify_top_k(session, i, 2, labels + 8, NULL));
      CHECK(labels[8] == labels[0] && labels[9] == labels[1]);
    }
  }
  CHECK_OK(tern_classify(session, texts[1], &label, &p));
  CHECK_OK(tern_classify_top_k(session, 0, 1, labels, top_scores));
  CHECK(label == labels[0] && p == top_scores[0]);
  CHECK(ref_classify(blob(name), texts + 1, NULL, 1, ref) == 0);
  CHECK(close_to(p, ref[label]));
  CHECK_OK(tern_classify(session, texts[1], &label, NULL));

  /* Errors. */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(session, 1, scores, n)); /* one text last time */
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_classify_scores(session, 0, scores, n - 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(session, 0, NULL, n));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(NULL, 0, scores, n));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_top_k(session, 0, 0, labels, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_top_k(session, 0, n + 1, labels, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_top_k(session, 0, 1, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_top_k(session, 1, 1, labels, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_top_k(NULL, 0, 1, labels, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_entities(session, 0, &entity, 1, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(NULL, texts, NULL, 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, NULL, NULL, 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, texts, NULL, 0));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, texts, NULL, 4)); /* max_batch 3 */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, with_null, NULL, 2));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, texts, with_null, 2));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(session, 0, scores, n)); /* no results after a failure */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(session, "caf\xc3", &label, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(session, NULL, &label, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(session, "text", NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(NULL, "text", &label, NULL));
  /* The embedder cannot classify. */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(embedder, "text", &label, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(embedder, texts, NULL, 1));
  CHECK(strstr(tern_last_error(), "embedding") != NULL);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(embedder, 0, scores, n));
  tern_session_free(session);

  /* Too long for max_seq: an error, or truncated. */
  {
    tern_session_options o;
    const char* long_text = "one two three four five six seven eight nine ten eleven twelve";
    tern_session_options_init(&o);
    o.max_seq = 6;
    REQUIRE_OK(tern_session_create(model, &o, &session));
    CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_classify(session, long_text, &label, NULL));
    tern_session_free(session);
    o.truncate = 1;
    REQUIRE_OK(tern_session_create(model, &o, &session));
    CHECK_OK(tern_classify(session, long_text, &label, NULL));
    tern_session_free(session);
  }
  tern_session_free(embedder);
  tern_model_free(embedder_model);
  tern_model_free(model);

  /* Multi-label: independent sigmoids. */
  name = "bert_multilabel_zip_int8";
  model = load(name);
  session = session_for(model, 2);
  CHECK_OK(tern_classify_batch(session, texts, NULL, 2));
  CHECK(ref_classify(blob(name), texts, NULL, 2, ref) == 0);
  for (i = 0; i < 2; ++i) {
    const size_t m = tern_model_num_labels(model);
    CHECK_OK(tern_classify_scores(session, i, scores, m));
    for (j = 0; j < m; ++j) CHECK(close_to(scores[j], ref[i * m + j]) && scores[j] > 0 && scores[j] < 1);
  }
  tern_session_free(session);
  tern_model_free(model);
}

static void test_entities(void) {
  const char* name = "bert_tokcls_zip_int8";
  const char* texts[2] = {"Angela Merkel visited Paris.", "Hello world"};
  tern_model* model = load(name);
  tern_session* session = session_for(model, 2);
  tern_entity entities[32];
  size_t count = 0, ref_count = 0, begins[32], ends[32], i, label;
  float ref_scores[32], scores[8];
  char groups[32][32];

  CHECK_OK(tern_classify_batch(session, texts, NULL, 2));
  CHECK_OK(tern_classify_entities(session, 0, entities, 32, &count));
  CHECK(ref_entities(blob(name), texts[0], &ref_count, begins, ends, ref_scores, groups, 32) == 0);
  CHECK(count == ref_count && count > 0);
  for (i = 0; i < count && i < ref_count; ++i) {
    CHECK(entities[i].begin == begins[i] && entities[i].end == ends[i]);
    CHECK(entities[i].end <= strlen(texts[0]) && entities[i].begin < entities[i].end);
    CHECK(close_to(entities[i].score, ref_scores[i]));
    CHECK(strcmp(entities[i].group, groups[i]) == 0 && strncmp(entities[i].group, "B-", 2) != 0);
  }
  if (count > 1) {
    CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_classify_entities(session, 0, entities, 1, &count));
    CHECK(count == ref_count);
  }
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_classify_entities(session, 0, NULL, 0, &count));
  CHECK(count == ref_count);
  CHECK_OK(tern_classify_entities(session, 1, entities, 32, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_entities(session, 2, entities, 32, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_entities(session, 0, entities, 32, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_entities(session, 0, NULL, 32, &count));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_entities(NULL, 0, entities, 32, &count));
  /* Sequence-level calls and pairs are not token classification's. */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_scores(session, 0, scores, 8));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify(session, texts[0], &label, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_classify_batch(session, texts, texts, 2));
  tern_session_free(session);
  tern_model_free(model);
}

/* ---- embeddings ---- */

static void test_embed(void) {
  const char* name = "bert_embed_zip_int8";
  const char* texts[2] = {"Hello world", "The quick brown fox."};
  tern_model* model = load(name);
  tern_model* bert = load("bert_zip_int8");
  tern_session* session = session_for(model, 2);
  tern_session* classifier = session_for(bert, 1);
  tern_model_info info;
  float embedding[256], ref[256];
  size_t i, j;

  info.struct_size = sizeof info;
  REQUIRE_OK(tern_model_get_info(model, &info));
  CHECK(info.hidden_size > 0 && info.hidden_size <= 256);
  CHECK_OK(tern_embed(session, texts, 2));
  for (i = 0; i < 2; ++i) {
    CHECK_OK(tern_embedding(session, i, embedding, info.hidden_size));
    CHECK(ref_embed(blob(name), texts[i], ref, 256) == 0);
    for (j = 0; j < info.hidden_size; ++j) CHECK(close_to(embedding[j], ref[j]));
  }
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_embedding(session, 0, embedding, info.hidden_size - 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embedding(session, 2, embedding, 256));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embedding(session, 0, NULL, 256));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embedding(NULL, 0, embedding, 256));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embed(session, NULL, 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embed(session, texts, 3));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embed(NULL, texts, 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embedding(session, 0, embedding, 256)); /* after a failure */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embed(classifier, texts, 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_embedding(classifier, 0, embedding, 256));
  tern_session_free(classifier);
  tern_session_free(session);
  tern_model_free(bert);
  tern_model_free(model);
}

/* ---- generation ---- */

/* A token callback's record: (sequence, token) per call; returns 0 (cancel) at call `cancel_at`. */
typedef struct {
  size_t calls, cancel_at;
  size_t sequence[256];
  int32_t token[256];
} Recorder;

static int record(void* user, size_t sequence, int32_t token) {
  Recorder* r = (Recorder*)user;
  if (r->calls < 256) r->sequence[r->calls] = sequence, r->token[r->calls] = token;
  return ++r->calls != r->cancel_at;
}

/* The session's results are the reference's. */
static void check_generated(tern_session* session, const tern_model_info* info, const int32_t* ref, size_t ref_sequences,
                            size_t ref_length, const float* ref_scores, int scored) {
  size_t sequences = 0, length = 0, i;
  int32_t row[64];
  float score;
  CHECK_OK(tern_generated_shape(session, &sequences, &length));
  CHECK(sequences == ref_sequences && length == ref_length && length <= 64);
  for (i = 0; i < sequences && length <= 64; ++i) {
    CHECK_OK(tern_generated_ids(session, i, row, 64));
    CHECK(memcmp(row, ref + i * length, length * sizeof row[0]) == 0);
    CHECK(row[0] == info->decoder_start_token_id);
    if (scored) {
      CHECK_OK(tern_generated_score(session, i, &score));
      CHECK(close_to(score, ref_scores[i]));
    } else {
      CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_score(session, i, &score));
    }
  }
}

/* What the recorder got is each row's tokens after the start token up to its eos (tern.h's order:
 * greedy and sampling step by step, beam search row by row). */
static void check_stream(const Recorder* r, const int32_t* rows, size_t sequences, size_t length, int32_t eos, int beams) {
  size_t call = 0, i, t;
  if (beams) {
    for (i = 0; i < sequences; ++i)
      for (t = 1; t < length; ++t) {
        CHECK(call < r->calls && r->sequence[call] == i && r->token[call] == rows[i * length + t]);
        ++call;
        if (rows[i * length + t] == eos) break;
      }
  } else {
    for (t = 1; t < length; ++t)
      for (i = 0; i < sequences; ++i) {
        size_t u;
        int ended = 0;
        for (u = 1; u < t; ++u) ended = ended || rows[i * length + u] == eos;
        if (ended) continue;
        CHECK(call < r->calls && r->sequence[call] == i && r->token[call] == rows[i * length + t]);
        ++call;
      }
  }
  CHECK(call == r->calls);
}

static void test_generate_texts(void) {
  const char* name = "t5_tiny_zip_int8";
  const char* texts[2] = {"translate English to German: The house is wonderful.", "summarize: studies have shown that owning a dog is good for you"};
  tern_model* model = load(name);
  tern_model* bert = load("bert_zip_int8");
  tern_session* session = session_for(model, 2);
  tern_session* classifier = session_for(bert, 1);
  tern_model_info info;
  tern_generation_options o, defaults;
  union {
    tern_generation_options options;
    unsigned char bytes[sizeof(tern_generation_options) + 8];
  } bigger;
  int32_t ref[64 * 8], row[64];
  float ref_scores[8], score;
  size_t sequences = 0, length = 0, needed = 0, i, ref_sequences, ref_length;
  char text[512], ref_text[512], small[4];
  Recorder r;

  info.struct_size = sizeof info;
  REQUIRE_OK(tern_model_get_info(model, &info));

  /* Defaults: the model's, clamped to the session. */
  o.struct_size = sizeof o;
  CHECK_OK(tern_generation_defaults(session, NULL, &o));
  CHECK(o.struct_size == sizeof o && o.max_new_tokens >= 1 && o.max_new_tokens <= 20 && o.num_beams >= 1);
  defaults.struct_size = sizeof defaults;
  CHECK_OK(tern_generation_defaults(session, texts[0], &defaults));
  CHECK(defaults.max_new_tokens >= 1 && defaults.top_p > 0 && defaults.temperature > 0);
  o.struct_size = 3;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generation_defaults(session, NULL, &o));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generation_defaults(session, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generation_defaults(NULL, NULL, &defaults));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generation_defaults(classifier, NULL, &defaults));

  /* No options: the model's defaults for texts[0]. */
  CHECK_OK(tern_generate_texts(session, texts, 2, NULL, NULL, NULL));
  CHECK(ref_generate(blob(name), texts, NULL, NULL, 2, 0, NULL, ref, sizeof ref / sizeof ref[0], &ref_sequences,
                     &ref_length, ref_scores) == 0);
  check_generated(session, &info, ref, ref_sequences, ref_length, NULL, defaults.num_beams > 1);
  for (i = 0; i < 2; ++i) {
    CHECK_OK(tern_generated_text(session, i, text, sizeof text, &needed));
    CHECK(ref_decode(blob(name), ref + i * ref_length, ref_length, 1, ref_text, sizeof ref_text) == 0);
    CHECK(strcmp(text, ref_text) == 0);
    CHECK(needed == strlen(text) + 1);
  }

  /* Greedy, sampling and beam search, each streamed too (the same tokens) and cancelled. */
  for (i = 0; i < 3; ++i) {
    o = defaults;
    o.max_new_tokens = 12;
    o.num_beams = 1;
    o.do_sample = 0;
    o.num_return_sequences = 1;
    if (i == 1) {
      o.do_sample = 1;
      o.seed = 11;
      o.top_k = 30;
      o.top_p = 0.9f;
      o.temperature = 1.3f;
    }
    if (i == 2) {
      o.num_beams = 4;
      o.num_return_sequences = 2;
      o.length_penalty = 0.8f;
      o.no_repeat_ngram_size = 2;
      o.early_stopping = 1;
    }
    CHECK(ref_generate(blob(name), texts, NULL, NULL, 2, 0, &o, ref, sizeof ref / sizeof ref[0], &ref_sequences,
                       &ref_length, ref_scores) == 0);
    CHECK_OK(tern_generate_texts(session, texts, 2, &o, NULL, NULL));
    check_generated(session, &info, ref, ref_sequences, ref_length, ref_scores, i == 2);
    memset(&r, 0, sizeof r);
    CHECK_OK(tern_generate_texts(session, texts, 2, &o, record, &r));
    check_generated(session, &info, ref, ref_sequences, ref_length, ref_scores, i == 2);
    check_stream(&r, ref, ref_sequences, ref_length, info.eos_token_id, i == 2);
    memset(&r, 0, sizeof r);
    r.cancel_at = 3;
    CHECK_STATUS(TERN_CANCELLED, tern_generate_texts(session, texts, 2, &o, record, &r));
    CHECK(strstr(tern_last_error(), "cancelled") != NULL);
    CHECK(r.calls == 3);
    CHECK_OK(tern_generated_shape(session, &sequences, &length));
    CHECK(sequences == ref_sequences);
    if (i == 2) {
      check_generated(session, &info, ref, ref_sequences, ref_length, ref_scores, 1); /* complete */
    } else {
      /* Greedy, 2 rows: the calls were (0, t1), (1, t1), (0, t2): two steps kept, row 1's second pad. */
      CHECK(length == 3);
      CHECK_OK(tern_generated_ids(session, 1, row, 64));
      CHECK(row[1] == ref[ref_length + 1] && row[2] == info.pad_token_id);
      CHECK_OK(tern_generated_ids(session, 0, row, 64));
      CHECK(row[1] == ref[1] && row[2] == ref[2]);
    }
  }

  /* Errors. */
  CHECK_OK(tern_generate_texts(session, texts, 1, &defaults, NULL, NULL));
  CHECK_OK(tern_generated_shape(session, &sequences, &length));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_ids(session, sequences, row, 64));
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_generated_ids(session, 0, row, length - 1));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_ids(session, 0, NULL, 64));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_ids(NULL, 0, row, 64));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_score(session, 0, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_score(session, sequences, &score));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_shape(session, NULL, &length));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_shape(NULL, &sequences, &length));
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_generated_text(session, 0, NULL, 0, &needed));
  CHECK(needed >= 1);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_text(session, 0, NULL, 8, &needed));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_text(session, 1, text, sizeof text, &needed));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, NULL, 1, NULL, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 0, NULL, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 3, NULL, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(NULL, texts, 1, NULL, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(classifier, texts, 1, NULL, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_shape(classifier, &sequences, &length));
  CHECK_OK(tern_generated_shape(session, &sequences, &length));
  CHECK(sequences == 0 && length == 0); /* emptied by the failed call */
  o = defaults;
  o.num_beams = 5; /* the session planned 4 */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 1, &o, NULL, NULL));
  o = defaults;
  o.max_new_tokens = 21; /* planned 20 */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 1, &o, NULL, NULL));
  o = defaults;
  o.temperature = -1;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 1, &o, NULL, NULL));
  o = defaults;
  o.struct_size = sizeof o - 4;
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 1, &o, NULL, NULL));
  memset(&bigger, 0, sizeof bigger);
  bigger.options = defaults;
  bigger.options.struct_size = sizeof bigger;
  CHECK_OK(tern_generate_texts(session, texts, 1, &bigger.options, NULL, NULL));
  bigger.bytes[sizeof(tern_generation_options)] = 7;
  CHECK_STATUS(TERN_UNSUPPORTED, tern_generate_texts(session, texts, 1, &bigger.options, NULL, NULL));

  /* tern_generate: one text, the model's defaults, into a buffer. */
  CHECK_OK(tern_generate(session, texts[0], text, sizeof text));
  CHECK_OK(tern_generate_texts(session, texts, 1, NULL, NULL, NULL));
  CHECK_OK(tern_generated_text(session, 0, ref_text, sizeof ref_text, NULL));
  CHECK(strcmp(text, ref_text) == 0);
  if (strlen(ref_text) >= sizeof small) {
    CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_generate(session, texts[0], small, sizeof small));
    CHECK(strlen(small) < sizeof small && strncmp(small, ref_text, strlen(small)) == 0);
  }
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(session, NULL, text, sizeof text));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(session, texts[0], NULL, sizeof text));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(session, texts[0], text, 0));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(NULL, texts[0], text, sizeof text));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(classifier, texts[0], text, sizeof text));

  tern_session_free(classifier);
  tern_session_free(session);
  tern_model_free(bert);
  tern_model_free(model);
}

static void test_generate_ids(void) {
  const char* name = "torch_seq2seq_zip_int8";
  const int64_t ids[2 * 4] = {5, 7, 9, 2, 11, 4, 2, 1};
  const int64_t mask[2 * 4] = {1, 1, 1, 1, 1, 1, 1, 0};
  const int64_t beyond[4] = {5, 120, 9, 2}; /* the source vocabulary has 120 ids */
  const char* texts[1] = {"a text"};
  tern_model* model = load(name);
  tern_session* session = session_for(model, 2);
  tern_model_info info;
  tern_generation_options o;
  int32_t ref[64 * 4];
  float ref_scores[4];
  size_t ref_sequences, ref_length, k;
  char text[64];
  Recorder r;

  info.struct_size = sizeof info;
  REQUIRE_OK(tern_model_get_info(model, &info));
  o.struct_size = sizeof o;
  REQUIRE_OK(tern_generation_defaults(session, NULL, &o));
  o.max_new_tokens = 10;
  for (k = 0; k < 2; ++k) {
    o.do_sample = (int32_t)k;
    o.seed = 5;
    CHECK(ref_generate(blob(name), NULL, ids, mask, 2, 4, &o, ref, sizeof ref / sizeof ref[0], &ref_sequences,
                       &ref_length, ref_scores) == 0);
    memset(&r, 0, sizeof r);
    CHECK_OK(tern_generate_ids(session, ids, mask, 2, 4, &o, record, &r));
    check_generated(session, &info, ref, ref_sequences, ref_length, NULL, 0);
    check_stream(&r, ref, ref_sequences, ref_length, info.eos_token_id, 0);
    CHECK_OK(tern_generate_ids(session, ids, NULL, 1, 4, NULL, NULL, NULL)); /* the model's defaults, no mask */
  }
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_ids(session, beyond, NULL, 1, 4, &o, NULL, NULL));
  CHECK(strstr(tern_last_error(), "120") != NULL);
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_ids(session, NULL, NULL, 1, 4, &o, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_ids(session, ids, NULL, 3, 4, &o, NULL, NULL)); /* max_batch 2 */
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_ids(session, ids, NULL, 0, 4, &o, NULL, NULL));
  CHECK_STATUS(TERN_RESOURCE_EXHAUSTED, tern_generate_ids(session, ids, NULL, 1, 100000, &o, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_ids(NULL, ids, NULL, 1, 4, &o, NULL, NULL));
  /* Token ids only: no text in or out. */
  CHECK_OK(tern_generate_ids(session, ids, mask, 2, 4, &o, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generated_text(session, 0, text, sizeof text, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate_texts(session, texts, 1, &o, NULL, NULL));
  CHECK_STATUS(TERN_INVALID_ARGUMENT, tern_generate(session, texts[0], text, sizeof text));
  tern_session_free(session);
  tern_model_free(model);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s BLOBS_DIR\n", argv[0]);
    return 2;
  }
  blobs_dir = argv[1];
  test_status();
  test_models();
  test_tokenizer();
  test_sessions();
  test_classify();
  test_entities();
  test_embed();
  test_generate_texts();
  test_generate_ids();
  printf("c_api_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
