/* tern C API: load a .tern model, make a session, classify text or generate text.
 *
 * Every function returning int returns 0 on success or a tern error code (1 invalid argument,
 * 2 invalid model, 3 unsupported, 4 i/o, 5 resource exhausted); tern_last_error() then gives a
 * one-line message for this thread. Objects are owned by the caller and freed with the matching
 * *_free; a session must be freed before its model. One session per thread; a model may be shared. */
#ifndef TERN_H_
#define TERN_H_

#include <stddef.h>

#include "tern/export.h"
#include "tern/version.h" /* TERN_VERSION_STRING, TERN_FORMAT_VERSION_STRING, ... */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tern_model tern_model;
typedef struct tern_session tern_session;

typedef struct tern_session_options {
  size_t max_batch;      /* 0: 1 */
  size_t max_seq;        /* tokens per input; 0: the model's maximum (at most 512) */
  size_t max_new_tokens; /* T5: longest generation; 0: 64 */
  size_t max_beams;      /* T5: most beams; 0: 1 */
  size_t threads;        /* 0: 1 */
  int truncate;          /* nonzero: truncate long texts instead of failing */
} tern_session_options;

TERN_API const char* tern_last_error(void);

/* The version of the libtern this program runs with, e.g. "0.1.0" (a static string; the headers'
 * own is TERN_VERSION_STRING). */
TERN_API const char* tern_version(void);

TERN_API int tern_model_load(const char* path, tern_model** model);
TERN_API void tern_model_free(tern_model* model);
/* "bert", "torch-encoder" or "t5"; "" for a null model (and 0 labels, "" labels below). */
TERN_API const char* tern_model_arch(const tern_model* model);
TERN_API size_t tern_model_num_labels(const tern_model* model);
/* Name of a label (id2label), valid while the model lives; "" for an unknown id. */
TERN_API const char* tern_model_label(const tern_model* model, size_t label);

/* options may be NULL (all defaults). */
TERN_API int tern_session_create(const tern_model* model, const tern_session_options* options, tern_session** session);
TERN_API void tern_session_free(tern_session* session);

/* Classifiers: the most probable label of `text` (UTF-8) and its probability. */
TERN_API int tern_classify(tern_session* session, const char* text, size_t* label, float* probability);

/* T5: generates from `text` with the model's defaults (its generation config, or the task whose
 * prefix the text starts with) and writes the decoded text, NUL-terminated, into out[0..size). A
 * result that does not fit is an error (5) and out holds as much as fits. */
TERN_API int tern_generate(tern_session* session, const char* text, char* out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TERN_H_ */
