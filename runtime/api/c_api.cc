// The C API over Model and Session (see include/tern/tern.h).
#include "tern/tern.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "tern/model.h"
#include "tern/session.h"
#include "tern/version.h"

struct tern_model {
  std::unique_ptr<tern::Model> model;
};

struct tern_session {
  const tern_model* model;
  std::unique_ptr<tern::Session> session;
};

namespace {

thread_local char g_error[256] = "";

int fail(const tern::Status& s) {
  std::snprintf(g_error, sizeof(g_error), "%s", s.message());
  return int(s.code());
}

int fail(int code, const char* message) {
  std::snprintf(g_error, sizeof(g_error), "%s", message);
  return code;
}

}  // namespace

extern "C" {

const char* tern_last_error(void) { return g_error; }

const char* tern_version(void) { return tern::version(); }

int tern_model_load(const char* path, tern_model** model) {
  if (!path || !model) return fail(1, "tern_model_load: null argument");
  auto loaded = tern::Model::load(path);
  if (!loaded.ok()) return fail(loaded.status());
  *model = new tern_model{std::move(loaded.value())};
  return 0;
}

void tern_model_free(tern_model* model) { delete model; }

const char* tern_model_arch(const tern_model* model) { return model ? tern::arch_name(model->model->arch()) : ""; }

size_t tern_model_num_labels(const tern_model* model) {
  if (!model) return 0;
  return model->model->info().encoder_decoder ? 0 : model->model->num_labels();
}

const char* tern_model_label(const tern_model* model, size_t label) {
  if (!model) return "";
  // id2label strings live in the blob, NUL-terminated by flatbuffers: safe to hand out.
  std::string_view name = model->model->label(label);
  return name.empty() ? "" : name.data();
}

int tern_session_create(const tern_model* model, const tern_session_options* options, tern_session** session) {
  if (!model || !session) return fail(1, "tern_session_create: null argument");
  tern::SessionOptions o;
  if (options) {
    if (options->max_batch) o.max_batch = options->max_batch;
    if (options->max_seq) o.max_seq = options->max_seq;
    if (options->max_new_tokens) o.max_new_tokens = options->max_new_tokens;
    if (options->max_beams) o.max_beams = options->max_beams;
    if (options->threads) o.threads = options->threads;
    o.truncate = options->truncate != 0;
  }
  auto created = tern::Session::create(*model->model, o);
  if (!created.ok()) return fail(created.status());
  *session = new tern_session{model, std::move(created.value())};
  return 0;
}

void tern_session_free(tern_session* session) { delete session; }

int tern_classify(tern_session* session, const char* text, size_t* label, float* probability) {
  if (!session || !text || !label) return fail(1, "tern_classify: null argument");
  std::string_view t = text;
  tern::Status s = session->session->classify(&t, nullptr, 1);
  if (!s.ok()) return fail(s);
  *label = session->session->predicted_label(0);
  if (probability) *probability = session->session->probabilities(0)[*label];
  return 0;
}

int tern_generate(tern_session* session, const char* text, char* out, size_t size) {
  if (!session || !text || !out || size == 0) return fail(1, "tern_generate: null argument or empty buffer");
  std::string_view t = text;
  tern::Status s = session->session->generate(&t, 1, session->session->generation_defaults(t));
  if (!s.ok()) return fail(s);
  const tern::Generated& g = session->session->generated();
  const std::string decoded = session->model->model->decode(g.tokens, g.length);
  std::snprintf(out, size, "%s", decoded.c_str());
  if (decoded.size() >= size) return fail(5, "tern_generate: the output buffer is too small");
  return 0;
}

}  // extern "C"
