// Encoder-decoders: Hugging Face T5ForConditionalGeneration (v1.0 and v1.1/flan: RMS norms before
// each sublayer, relative position buckets from the first layer shared by all, no attention
// scaling) and the torch nn.Transformer seq2seq model (LayerNorm after each residual add or before
// each sublayer, a sinusoidal position table, scaled token embeddings, scaled attention, biases).
// Both are the layers/ encoder and decoder layers, configured from the blob. The decoder runs one
// position per call over a self-attention KV cache; cross-attention K/V are computed once per input.
#pragma once

#include <vector>

#include "core/memory_plan.h"
#include "format/blob.h"
#include "layers/transformer_layer.h"
#include "tern/model.h"

namespace tern {

struct Seq2SeqConfig {
  int vocab_size = 0;      // the decoder's ids
  int src_vocab_size = 0;  // the encoder's ids (vocab_size when both sides share one table)
  int d_model = 0, d_kv = 0, d_ff = 0;
  int num_layers = 0, num_decoder_layers = 0, num_heads = 0;
  bool relative_positions = true;  // T5's buckets; else a table of max_positions rows
  int relative_attention_num_buckets = 0, relative_attention_max_distance = 0;
  int max_positions = 0;           // the position table's rows (0: relative positions, no limit)
  float layer_norm_epsilon = 0;
  NormKind norm = NormKind::kRms;
  bool post_norm = false;
  bool gated = false;
  Activation activation = Activation::kRelu;
  bool tied_embeddings = true;     // lm_head = the shared table; decoder output scaled by d_model^-0.5
  bool shared_embeddings = true;   // one table `embed` for both sides
  float embedding_scale = 1.0f;
  bool scale_attention = false;
  bool bias = false;
  int decoder_start_token_id = 0, eos_token_id = 1, pad_token_id = 0;

  LayerSpec layer() const;
};

struct Seq2SeqWeights {
  const TensorView* enc_embed = nullptr;  // [src_vocab, d_model]
  const TensorView* dec_embed = nullptr;  // [vocab, d_model] (the same table when shared)
  const TensorView* position = nullptr;   // [max_positions, d_model] (position table models)
  Linear lm_head;                         // [vocab, d_model]
  const float* enc_rel_bias = nullptr;    // [buckets, heads] (relative position models)
  const float* dec_rel_bias = nullptr;
  Norm enc_final_norm, dec_final_norm;
  std::vector<EncoderLayer> enc;
  std::vector<DecoderLayer> dec;
  // Every Linear above, by Linear::index: pointers into this struct, which stays where
  // bind_seq2seq() filled it (inside the Model).
  std::vector<const Linear*> linears;
};

Status bind_seq2seq(const Blob& blob, Seq2SeqConfig* config, Seq2SeqWeights* weights);

// Hugging Face's _relative_position_bucket, with the same float32 arithmetic.
int relative_position_bucket(int relative_position, bool bidirectional, int num_buckets,
                             int max_distance);

// Arena layout for up to max_batch inputs of max_src tokens, decoded as `rows` = max_batch * beams
// sequences of up to max_positions decoder positions (start token included).
struct Seq2SeqPlan {
  size_t max_batch = 0, max_src = 0, max_positions = 0, beams = 1, rows = 0;
  bool keep_hidden = false;
  size_t act_q_stride = 0;
  int src_ids, src_mask, enc_hidden, enc_bias, qkv, ctx, tmp, normed, ffn, scores;
  int cross_kv, self_kv, kv_swap, dec_bias, dec_hidden, logits, act_q, act_scale;
};

// The steps of a seq2seq session: its buffers' lifetimes.
enum Seq2SeqStep : int { kEncoding = 0, kDecoding = 1, kResults = 2 };

// Adds the model's buffers to `memory`.
Seq2SeqPlan plan_seq2seq(const Seq2SeqConfig& c, size_t max_batch, size_t max_src, size_t max_positions,
                         size_t beams, bool keep_hidden, size_t threads, MemoryPlan* memory);

struct Seq2SeqBuffers {
  int32_t *src_ids, *src_mask;
  float *enc_hidden, *enc_bias, *qkv, *ctx, *tmp, *normed, *ffn, *scores;
  float *cross_kv, *self_kv, *kv_swap, *dec_bias, *dec_hidden, *logits;
  LayerScratch scratch() const { return LayerScratch{qkv, ctx, tmp, normed, ffn, scores}; }
};
Seq2SeqBuffers resolve_seq2seq(const Seq2SeqPlan& plan, const MemoryPlan& memory, uint8_t* arena);

// Fills the decoder's position bias [heads, max_positions, max_positions] (once, at creation;
// nothing for a position table model).
void init_decoder_bias(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const Seq2SeqPlan& plan,
                       const Seq2SeqBuffers& b);

// Encodes batch x seq tokens from buf.src_ids/src_mask; fills the encoder output (and every layer's
// output when keep_hidden) and each decoder layer's cross-attention K/V.
void run_seq2seq_encoder(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const OpContext& ctx,
                         const Seq2SeqPlan& plan, const Seq2SeqBuffers& buf, size_t batch, size_t seq);
const float* seq2seq_encoder_output(const Seq2SeqConfig& c, const Seq2SeqPlan& plan, const Seq2SeqBuffers& buf,
                                    size_t batch, size_t seq);

// One decoder position for `rows` sequences (row r belongs to input r / beams_per_input): token
// ids[r] at position `pos`. Writes logits [rows, vocab]; with hidden_out, every layer's output to
// hidden_out + layer * hidden_layer_stride + r * hidden_row_stride.
void run_decoder_position(const Seq2SeqConfig& c, const Seq2SeqWeights& w, const OpContext& ctx,
                          const Seq2SeqPlan& plan, const Seq2SeqBuffers& buf, const int32_t* ids,
                          const int32_t* dec_mask, size_t dec_mask_stride, size_t rows,
                          size_t beams_per_input, size_t src_len, size_t pos, float* hidden_out,
                          size_t hidden_layer_stride, size_t hidden_row_stride);

// Reorders every layer's self-attention cache: row r takes the first `positions` entries of row
// from[r] (beam search).
void reorder_decoder_cache(const Seq2SeqConfig& c, const Seq2SeqPlan& plan, const Seq2SeqBuffers& buf,
                           const int32_t* from, size_t rows, size_t positions);

}  // namespace tern
