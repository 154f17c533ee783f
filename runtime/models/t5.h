// T5 encoder-decoders (Hugging Face T5ForConditionalGeneration, v1.0 and v1.1/flan): RMS norms,
// relative position buckets (from the first layer, shared by all), no attention scaling, a decoder
// that runs one position per call over a self-attention KV cache, cross-attention K/V computed
// once per input.
#pragma once

#include <vector>

#include "core/memory_plan.h"
#include "ops/ops.h"
#include "tern/model.h"

namespace tern {

struct T5Layer {
  Linear self_qkv;         // [3 * inner, d_model]
  Linear self_out;         // [d_model, inner]
  const float* self_norm;  // [d_model]
  Linear cross_q;          // [inner, d_model]        (decoder only)
  Linear cross_kv;         // [2 * inner, d_model]    (decoder only)
  Linear cross_out;        // [d_model, inner]        (decoder only)
  const float* cross_norm; // [d_model]               (decoder only)
  Linear ffn_in;           // [d_ff or 2 * d_ff (gated: wi_0 | wi_1), d_model]
  Linear ffn_out;          // [d_model, d_ff]
  const float* ffn_norm;   // [d_model]
};

struct T5Weights {
  const TensorView* embed = nullptr;   // [vocab, d_model]
  Linear lm_head;                      // [vocab, d_model]
  const float* enc_rel_bias = nullptr; // [buckets, heads]
  const float* dec_rel_bias = nullptr; // [buckets, heads]
  const float* enc_final_norm = nullptr;
  const float* dec_final_norm = nullptr;
  std::vector<T5Layer> enc, dec;
  // Every Linear above, by Linear::index: pointers into this struct, which stays where bind_t5()
  // filled it (inside the Model).
  std::vector<const Linear*> linears;
};

Status bind_t5(const Blob& blob, T5Config* config, T5Weights* weights);

// Hugging Face's _relative_position_bucket, with the same float32 arithmetic.
int relative_position_bucket(int relative_position, bool bidirectional, int num_buckets,
                             int max_distance);

// Arena layout for up to max_batch inputs of max_src tokens, decoded as `rows` = max_batch * beams
// sequences of up to max_positions decoder positions (start token included).
struct T5Plan {
  size_t max_batch = 0, max_src = 0, max_positions = 0, beams = 1, rows = 0;
  bool keep_hidden = false;
  size_t act_q_stride = 0;
  int src_ids, src_mask, enc_hidden, enc_bias, qkv, ctx, tmp, normed, ffn, scores;
  int cross_kv, self_kv, kv_swap, dec_bias, dec_hidden, logits, act_q, act_scale;
};

// Adds the model's buffers to `memory` (steps: 0 = encoder, 1 = decoding, 2 = results).
T5Plan plan_t5(const T5Config& c, size_t max_batch, size_t max_src, size_t max_positions,
               size_t beams, bool keep_hidden, size_t threads, MemoryPlan* memory);

struct T5Buffers {
  int32_t *src_ids, *src_mask;
  float *enc_hidden, *enc_bias, *qkv, *ctx, *tmp, *normed, *ffn, *scores;
  float *cross_kv, *self_kv, *kv_swap, *dec_bias, *dec_hidden, *logits;
};
T5Buffers resolve_t5(const T5Plan& plan, const MemoryPlan& memory, uint8_t* arena);

// Fills the decoder's position bias [heads, max_positions, max_positions] (once, at creation).
void init_t5_decoder_bias(const T5Config& c, const T5Weights& w, const T5Plan& plan, const T5Buffers& b);

// Encodes batch x seq tokens from buf.src_ids/src_mask; fills the encoder output (and every layer's
// output when keep_hidden) and each decoder layer's cross-attention K/V.
void run_t5_encoder(const T5Config& c, const T5Weights& w, const OpContext& ctx, const T5Plan& plan,
                    const T5Buffers& buf, size_t batch, size_t seq);
const float* t5_encoder_output(const T5Config& c, const T5Plan& plan, const T5Buffers& buf, size_t batch, size_t seq);

// One decoder position for `rows` sequences (row r belongs to input r / beams_per_input): token
// ids[r] at position `pos`. Writes logits [rows, vocab]; with keep_hidden, every layer's output to
// hidden_out + layer * hidden_layer_stride + r * hidden_row_stride.
void run_t5_decoder_step(const T5Config& c, const T5Weights& w, const OpContext& ctx,
                         const T5Plan& plan, const T5Buffers& buf, const int32_t* ids,
                         const int32_t* dec_mask, size_t dec_mask_stride, size_t rows,
                         size_t beams_per_input, size_t src_len, size_t pos, float* hidden_out,
                         size_t hidden_layer_stride, size_t hidden_row_stride);

// Reorders every layer's self-attention cache: row r takes the first `positions` entries of row
// from[r] (beam search).
void reorder_t5_cache(const T5Config& c, const T5Plan& plan, const T5Buffers& buf,
                      const int32_t* from, size_t rows, size_t positions);

}  // namespace tern
