/* What the C++ API (tern/model.h, tern/tasks.h) gives, for tests/c_api_test.c to compare the C API
 * with: each function loads the blob and makes its own task object. 0 on success. */
#ifndef TERN_TESTS_C_API_REFERENCE_H_
#define TERN_TESTS_C_API_REFERENCE_H_

#include <stddef.h>
#include <stdint.h>

#include "tern/tern.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Model facts from tern::Model::info(), num_labels(), has_tokenizer(). */
int ref_model_info(const char* blob, size_t* vocab_size, size_t* target_vocab_size, size_t* hidden_size,
                   size_t* max_positions, size_t* num_labels, int* has_tokenizer, int* encoder_decoder);
/* tern::Classifier, max_batch = count: scores [count, num_labels]. */
int ref_classify(const char* blob, const char* const* texts, const char* const* pairs, size_t count, float* scores);
/* tern::Classifier (token classification) on one text: its entities (groups copied, 31 bytes at most). */
int ref_entities(const char* blob, const char* text, size_t* count, size_t* begins, size_t* ends, float* scores,
                 char (*groups)[32], size_t capacity);
/* tern::Embedder on one text: its vector. */
int ref_embed(const char* blob, const char* text, float* embedding, size_t capacity);
/* tern::Model::tokenize, token, decode. */
int ref_tokenize(const char* blob, const char* text, int32_t* ids, size_t capacity, size_t* count);
int ref_token(const char* blob, int32_t id, char* text, size_t size);
int ref_decode(const char* blob, const int32_t* ids, size_t count, int skip_special, char* text, size_t size);
/* tern::Generator (max_batch = inputs, max_new_tokens 20, max_beams 4) from texts (if not NULL) or
 * ids [batch, seq]; options NULL: the model's defaults for texts[0]. The result's rows into tokens,
 * its scores (beam search) into scores. */
int ref_generate(const char* blob, const char* const* texts, const int64_t* ids, const int64_t* mask, size_t batch,
                 size_t seq, const tern_generation_options* options, int32_t* tokens, size_t capacity,
                 size_t* sequences, size_t* length, float* scores);

#ifdef __cplusplus
}
#endif

#endif /* TERN_TESTS_C_API_REFERENCE_H_ */
