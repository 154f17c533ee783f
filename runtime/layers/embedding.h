// Embeddings: token rows (times a scale), plus absolute positions, either counted from each
// sequence's start or, as RoBERTa numbers them, from the padding.
#pragma once

#include "ops/ops.h"

namespace tern {

// out[i] = table[ids[i]] * scale, for count ids.
void token_embeddings(const TensorView& table, const int32_t* ids, size_t count, float scale, float* out);

// Adds position rows first .. first + seq - 1 to each of `batch` sequences of out [batch * seq, dim].
void add_positions(const TensorView& table, size_t batch, size_t seq, size_t first, float* out);

// RoBERTa: the non-pad tokens are numbered from pad_id + 1, pads get pad_id (ids [batch, seq]).
void add_positions_after_padding(const TensorView& table, const int32_t* ids, int32_t pad_id, size_t batch,
                                 size_t seq, float* out);

}  // namespace tern
