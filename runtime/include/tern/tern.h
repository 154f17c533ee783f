/* tern C API: load a .tern model, make a session, then classify, embed, tokenize or generate.
 *
 * A thin layer over the C++ task objects (tern/tasks.h), for C and for other languages' FFI.
 *
 * Errors: every function that can fail returns a tern_status (TERN_OK is 0) and then
 * tern_last_error() gives a one-line message, for this thread, that says what and where. Every
 * argument is checked: a NULL pointer, a wrong struct_size, an index out of range or a buffer too
 * small is an error, never a crash.
 *
 * Ownership and lifetimes: objects are made by tern_*_load / tern_session_create, owned by the
 * caller and freed with the matching *_free (NULL is accepted). A model must outlive its sessions
 * (and a buffer given to tern_model_load_buffer the model). Strings and results a function hands out
 * say how long they are valid. One session per thread at a time; a model may be shared by sessions
 * on any threads.
 *
 * Structs that may grow (options, info) start with `size_t struct_size`, which the caller sets to
 * sizeof the struct as its header declares it: a library newer than the header reads and writes
 * only that much, an older one refuses options it does not know (non-zero bytes past its own
 * struct). Results a caller's buffer receives: the call says how much it needs (`needed`, `count`)
 * and a buffer too small is TERN_RESOURCE_EXHAUSTED. Texts are NUL-terminated UTF-8. */
#ifndef TERN_H_
#define TERN_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tern/export.h"
#include "tern/version.h" /* TERN_VERSION_STRING, TERN_FORMAT_VERSION_STRING, ... */

#ifdef __cplusplus
extern "C" {
#endif

/* The same values as tern::Code (tern/status.h); new codes are appended. */
typedef enum tern_status {
  TERN_OK = 0,
  TERN_INVALID_ARGUMENT = 1,   /* the caller passed something wrong, or asked a model for a task it lacks */
  TERN_INVALID_MODEL = 2,      /* the blob is corrupt, truncated, inconsistent or from a newer format */
  TERN_UNSUPPORTED = 3,        /* valid, but this build or CPU cannot do it (an ISA, a feature) */
  TERN_IO = 4,                 /* the file system said no */
  TERN_RESOURCE_EXHAUSTED = 5, /* memory, more tokens than planned, a caller's buffer too small */
  TERN_CANCELLED = 6           /* a token callback asked generation to stop */
} tern_status;

/* A short fixed description of a status ("invalid argument"); "unknown status" for other values. */
TERN_API const char* tern_status_message(tern_status status);
/* The message of this thread's last failed call ("" before any); valid until its next failure. */
TERN_API const char* tern_last_error(void);

/* The version of the libtern this program runs with, e.g. "0.1.0" (a static string; the headers'
 * own is TERN_VERSION_STRING). */
TERN_API const char* tern_version(void);

/* ---- Models ---------------------------------------------------------------------------------- */

typedef struct tern_model tern_model;

/* Maps the file read-only and validates it; weights are used in place. */
TERN_API tern_status tern_model_load(const char* path, tern_model** model);
/* Uses the caller's bytes in place: `data` must be 64-byte aligned and outlive the model. */
TERN_API tern_status tern_model_load_buffer(const void* data, size_t size, tern_model** model);
TERN_API void tern_model_free(tern_model* model);

/* What a session of a model does (one task per model, from its head). Text in needs a tokenizer
 * (tern_model_info.has_tokenizer); generation from token ids does not. */
typedef enum tern_task {
  TERN_TASK_CLASSIFY = 0,        /* sequence classification: tern_classify*, sentence pairs */
  TERN_TASK_CLASSIFY_TOKENS = 1, /* token classification: tern_classify_batch, tern_classify_entities */
  TERN_TASK_EMBED = 2,           /* sentence embeddings: tern_embed, tern_embedding */
  TERN_TASK_GENERATE = 3         /* encoder-decoders: tern_generate* */
} tern_task;

typedef struct tern_model_info {
  size_t struct_size;          /* in: sizeof(tern_model_info) */
  const char* arch;            /* "bert", "torch-encoder", "t5", "torch-seq2seq"; valid while the model lives */
  tern_task task;
  int32_t encoder_decoder;     /* 1 for TERN_TASK_GENERATE models, else 0 */
  int32_t has_tokenizer;       /* 0: token ids only */
  int32_t multi_label;         /* 1: classification scores are independent sigmoids, not a softmax */
  size_t vocab_size;           /* input token ids are below this */
  size_t target_vocab_size;    /* encoder-decoders: generated ids are below this (else 0) */
  size_t hidden_size;          /* also the embedding's dimension */
  size_t max_positions;        /* the longest input (encoder-decoders: output + 1) it takes; 0: no limit */
  size_t num_labels;           /* classifiers; else 0 */
  int32_t decoder_start_token_id, eos_token_id, pad_token_id; /* encoder-decoders; else -1 */
} tern_model_info;

TERN_API tern_status tern_model_get_info(const tern_model* model, tern_model_info* info);
/* Shorthands: the arch name ("" for a NULL model), the number of labels (0 for a NULL model or one
 * that does not classify), a label's name (id2label; "" for an unknown id), valid while the model lives. */
TERN_API const char* tern_model_arch(const tern_model* model);
TERN_API size_t tern_model_num_labels(const tern_model* model);
TERN_API const char* tern_model_label(const tern_model* model, size_t label);

/* ---- Tokenizer (allocates: a convenience for tools, not the sessions' allocation-free path) ---- */

/* The ids of `text`, special tokens included, into ids[0..capacity); *count gets how many there are. */
TERN_API tern_status tern_tokenize(const tern_model* model, const char* text, int32_t* ids, size_t capacity,
                                   size_t* count);
/* The token an id stands for ("##ing", "\xe2\x96\x81the"), NUL-terminated into text[0..size);
 * *needed (may be NULL) gets its size with the NUL. */
TERN_API tern_status tern_token_text(const tern_model* model, int32_t id, char* text, size_t size, size_t* needed);
/* The text of ids (skip_special nonzero: without special tokens), as tern_token_text writes it. */
TERN_API tern_status tern_decode(const tern_model* model, const int32_t* ids, size_t count, int skip_special,
                                 char* text, size_t size, size_t* needed);

/* ---- Sessions ------------------------------------------------------------------------------- */

typedef struct tern_session tern_session;

/* Every field's zero is its default: tern_session_options_init() (or a zeroed struct with
 * struct_size set) gives all defaults. */
typedef struct tern_session_options {
  size_t struct_size;     /* sizeof(tern_session_options) */
  size_t threads;         /* 0: 1; results do not depend on it */
  const char* isa;        /* kernel tier: NULL or "auto" (the best this CPU and build have), "ref",
                             "avx2", "avxvnni", "avx512vnni", "amx", "neon", "neondot", "i8mm" */
  size_t max_batch;       /* texts per call; 0: 1 */
  size_t max_seq;         /* tokens per input, special tokens included; 0: the model's maximum, at most 512 */
  size_t max_new_tokens;  /* encoder-decoders: the longest generation; 0: 64, or fewer if the positions end sooner */
  size_t max_beams;       /* encoder-decoders: the most beams; 0: 1 */
  int32_t truncate;       /* nonzero: texts longer than max_seq are truncated, else an error */
  void* arena;            /* NULL: the session allocates its arena once, at creation. Else caller-owned
                             memory of tern_required_arena_bytes(), 64-byte aligned, that outlives the session */
  size_t arena_bytes;
} tern_session_options;

static inline void tern_session_options_init(tern_session_options* options) {
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

/* The arena a session with these options (NULL: defaults) needs, in bytes. */
TERN_API tern_status tern_required_arena_bytes(const tern_model* model, const tern_session_options* options,
                                               size_t* bytes);
/* Makes the model's task (tern_model_info.task) with these options (NULL: defaults). Refuses a
 * model whose task needs a tokenizer it lacks (classify, embed). All memory is taken here: the
 * calls below allocate nothing unless they say so. */
TERN_API tern_status tern_session_create(const tern_model* model, const tern_session_options* options,
                                         tern_session** session);
TERN_API void tern_session_free(tern_session* session);

/* ---- Classification ------------------------------------------------------------------------- */

/* Classifies texts[0..count) (count <= max_batch), with pairs[i] as text i's second sentence when
 * pairs is not NULL (sequence classification only). Results below stay until the next call on the
 * session. */
TERN_API tern_status tern_classify_batch(tern_session* session, const char* const* texts, const char* const* pairs,
                                         size_t count);
/* Text i's score for every label into scores[0..capacity), capacity >= num_labels (softmax
 * probabilities; independent sigmoids for a multi-label model; raw values for regression). */
TERN_API tern_status tern_classify_scores(const tern_session* session, size_t text, float* scores, size_t capacity);
/* Text i's k best labels (1 <= k <= num_labels), best first, into labels[0..k) and, unless NULL,
 * their scores into scores[0..k). */
TERN_API tern_status tern_classify_top_k(const tern_session* session, size_t text, size_t k, size_t* labels,
                                         float* scores);

/* A labelled span of a text, as Hugging Face's ner pipeline with aggregation_strategy="simple". */
typedef struct tern_entity {
  const char* group; /* the label without B-/I- ("PER"), NUL-terminated, valid while the model lives */
  float score;       /* the mean of its tokens' probabilities */
  size_t begin, end; /* byte offsets into the text */
} tern_entity;
/* Token classification: text i's entities in text order into entities[0..capacity); *count gets
 * how many there are. */
TERN_API tern_status tern_classify_entities(const tern_session* session, size_t text, tern_entity* entities,
                                            size_t capacity, size_t* count);

/* One text: its best label and (unless NULL) that label's score. */
TERN_API tern_status tern_classify(tern_session* session, const char* text, size_t* label, float* probability);

/* ---- Embeddings ----------------------------------------------------------------------------- */

/* Embeds texts[0..count), count <= max_batch. */
TERN_API tern_status tern_embed(tern_session* session, const char* const* texts, size_t count);
/* Text i's vector (tern_model_info.hidden_size floats; L2-normalized if the model says so) into
 * embedding[0..capacity). */
TERN_API tern_status tern_embedding(const tern_session* session, size_t text, float* embedding, size_t capacity);

/* ---- Generation (encoder-decoders) ---------------------------------------------------------- */

/* Hugging Face generate() settings. Not all zeros are defaults here: start from
 * tern_generation_defaults(), which gives the model's. */
typedef struct tern_generation_options {
  size_t struct_size;           /* sizeof(tern_generation_options) */
  int32_t max_new_tokens;       /* at most the session's max_new_tokens */
  int32_t min_new_tokens;
  int32_t num_beams;            /* 1: greedy or sampling; at most the session's max_beams */
  int32_t num_return_sequences; /* beam search: the best n hypotheses (<= num_beams) */
  float length_penalty;         /* beam search: score = sum of log p / length^length_penalty */
  int32_t no_repeat_ngram_size; /* 0: off */
  int32_t early_stopping;       /* beam search: stop an input once num_beams hypotheses are finished */
  int32_t do_sample;            /* nonzero: sample (num_beams 1) */
  float temperature;
  int32_t top_k;                /* 0: off */
  float top_p;                  /* 1: off */
  uint64_t seed;                /* sampling is reproducible for a seed */
} tern_generation_options;

/* The model's generation defaults for `text` (NULL: for no particular text): its generation config,
 * or the task whose prefix the text starts with, clamped to what the session planned. The caller
 * sets options->struct_size first. */
TERN_API tern_status tern_generation_defaults(const tern_session* session, const char* text,
                                              tern_generation_options* options);

/* Called with each token as generation produces it: `sequence` is the token's row in the results
 * (tern_generated_*). Greedy and sampling: every new token of every row as it is chosen, step by
 * step and row by row, the end-of-sequence token included, never padding. Beam search: nothing while
 * searching; when done, each returned hypothesis in result order, token by token, up to and
 * including its end-of-sequence token. Return nonzero to go on, 0 to stop: generation returns
 * TERN_CANCELLED and the results hold what was produced (greedy and sampling: exactly the tokens
 * reported, padded; beam search: everything). Called on the generating thread; must not call
 * functions on this session. */
typedef int (*tern_token_callback)(void* user, size_t sequence, int32_t token);

/* Generates from texts[0..count) (count <= max_batch; needs a tokenizer), or from token ids
 * input_ids [batch, seq] with attention_mask (NULL: all ones). options NULL: the model's defaults
 * (for texts[0]). on_token may be NULL. Allocates nothing. */
TERN_API tern_status tern_generate_texts(tern_session* session, const char* const* texts, size_t count,
                                         const tern_generation_options* options, tern_token_callback on_token,
                                         void* user);
TERN_API tern_status tern_generate_ids(tern_session* session, const int64_t* input_ids, const int64_t* attention_mask,
                                       size_t batch, size_t seq, const tern_generation_options* options,
                                       tern_token_callback on_token, void* user);

/* The last generation's results, until the next call on the session: `sequences` rows (inputs x
 * num_return_sequences) of `length` token ids laid out as Hugging Face's generate() returns them
 * (the decoder start token first, finished rows padded with the pad id). None (0 x 0) before any
 * generation and after a failed one; a cancelled one keeps what it produced. */
TERN_API tern_status tern_generated_shape(const tern_session* session, size_t* sequences, size_t* length);
/* Row `sequence`: its `length` ids into ids[0..capacity). */
TERN_API tern_status tern_generated_ids(const tern_session* session, size_t sequence, int32_t* ids, size_t capacity);
/* Beam search: the row's final score (TERN_INVALID_ARGUMENT after greedy or sampling). */
TERN_API tern_status tern_generated_score(const tern_session* session, size_t sequence, float* score);
/* The row's text, special tokens skipped, as tern_token_text writes it. Allocates (decoding). */
TERN_API tern_status tern_generated_text(const tern_session* session, size_t sequence, char* text, size_t size,
                                         size_t* needed);

/* One text with the model's defaults for it; the decoded text, NUL-terminated, into out[0..size).
 * A result that does not fit is TERN_RESOURCE_EXHAUSTED and out holds as much as fits. */
TERN_API tern_status tern_generate(tern_session* session, const char* text, char* out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TERN_H_ */
