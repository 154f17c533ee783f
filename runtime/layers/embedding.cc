#include "layers/embedding.h"

namespace tern {

void token_embeddings(const TensorView& table, const int32_t* ids, size_t count, float scale, float* out) {
  embedding_gather(table, ids, count, out);
  if (scale == 1.0f) return;
  const size_t n = count * size_t(table.shape[1]);
  for (size_t i = 0; i < n; ++i) out[i] *= scale;
}

void add_positions(const TensorView& table, size_t batch, size_t seq, size_t first, float* out) {
  const size_t dim = size_t(table.shape[1]);
  for (size_t b = 0; b < batch; ++b)
    for (size_t t = 0; t < seq; ++t) {
      const int32_t position = int32_t(first + t);
      embedding_add(table, &position, 1, out + (b * seq + t) * dim);
    }
}

void add_positions_after_padding(const TensorView& table, const int32_t* ids, int32_t pad_id, size_t batch,
                                 size_t seq, float* out) {
  const size_t dim = size_t(table.shape[1]);
  for (size_t b = 0; b < batch; ++b) {
    int32_t next = pad_id + 1;
    for (size_t t = 0; t < seq; ++t) {
      const int32_t position = ids[b * seq + t] == pad_id ? pad_id : next++;
      embedding_add(table, &position, 1, out + (b * seq + t) * dim);
    }
  }
}

}  // namespace tern
