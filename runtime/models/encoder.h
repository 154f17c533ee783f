// BERT-family encoders (BERT, DistilBERT, RoBERTa, XLM-R, ELECTRA, ALBERT and torch
// nn.TransformerEncoder classifiers): embeddings, the layers/ encoder layer (post-norm or pre-norm,
// an optional final norm), and a head (sequence or token classification, or pooled embeddings).
#pragma once

#include <string>
#include <vector>

#include "core/memory_plan.h"
#include "format/blob.h"
#include "layers/transformer_layer.h"
#include "tern/model.h"

namespace tern {

// Hyperparameters of a BERT-family encoder, as the blob gives them (internal: users read ModelInfo).
struct EncoderConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;  // 0: none
  int type_vocab_size = 0;          // 0: none
  float layer_norm_eps = 0;
  Activation activation = Activation::kGeluErf;
  bool norm_first = false;
  bool embedding_norm = false;
  bool final_norm = false;
  bool pooler = false;
  int num_labels = 0;               // 0 for an embedding model
  int pad_token_id = 0;
  int embedding_size = 0;           // ELECTRA, ALBERT: embeddings this wide, projected to hidden_size
  bool positions_from_padding = false;  // RoBERTa, XLM-R
  int num_layer_groups = 0;         // ALBERT: layers share weights in this many groups
  Activation pooler_activation = Activation::kTanh;
  Head head = Head::kSequenceClassification;
  LabelOutput label_output = LabelOutput::kSoftmax;
  Pooling pooling = Pooling::kFirstToken;  // Head::kEmbedding
  bool normalize = false;                  // Head::kEmbedding: L2-normalized
};

struct EncoderWeights {
  const TensorView* word = nullptr;        // [V, H]
  const TensorView* position = nullptr;    // [P, H] or null
  const TensorView* token_type = nullptr;  // [types, H] or null
  Norm embedding_norm;                     // BERT only
  Linear embedding_project;                // [H, E] when embedding_size != hidden_size
  std::vector<EncoderLayer> layers;        // num_layer_groups of them (ALBERT shares)
  Norm final_norm;                         // pre-norm torch encoders with encoder.norm
  Linear pooler;                           // [H, H]: BERT's pooler, or a head's dense layer
  Linear classifier;                       // [labels, H]; none for an embedding model
  // Every Linear above, by Linear::index: pointers into this struct, which stays where
  // bind_encoder() filled it (inside the Model).
  std::vector<const Linear*> linears;
};

// Reads the config from the blob and finds every tensor, checking each shape against the config.
Status bind_encoder(const Blob& blob, EncoderConfig* config, EncoderWeights* weights);

// The steps of one encoder run, the lifetimes of its arena plan (plan_encoder names them for
// describe() in this order). Steps 1..9 repeat for each layer.
enum EncoderStep : int {
  kEmbed = 0,      // embeddings (and their projection)
  kPreNorm,        // pre-norm layers: norm before attention
  kQkv,            // q, k, v projections
  kAttend,         // attention
  kOutProj,        // attention output projection
  kAttnNorm,       // residual + norm
  kFfnPreNorm,     // pre-norm layers: norm before the feed-forward
  kFfnIn,          // feed-forward in (+ activation)
  kFfnOut,         // feed-forward out
  kFfnNorm,        // residual + norm
  kPool,           // pooler, or pooling (embedding head)
  kClassify,       // classifier
  kScores,         // label scores (session)
};

// Arena layout of one encoder run for at most max_batch x max_seq tokens.
struct EncoderPlan {
  size_t max_batch = 0, max_seq = 0;
  bool keep_hidden = false, keep_attentions = false;
  MemoryPlan memory;
  int ids, mask, types;           // int32 [B*T]
  int hidden;                     // f32 [(L+1 or 1), B*T, H]
  int embedded;                   // f32 [B*T, E] before the projection (embedding_size != H)
  int attentions;                 // f32 [L, B, heads, T, T] when kept
  int scores;                     // attention scratch
  int qkv, ctx, tmp, normed, ffn; // f32 work buffers
  int act_q, act_scale;           // quantized activations
  int pooled, logits, probs;      // f32 [B, H], [B or B*T (token classification), labels] x 2
  size_t act_q_stride = 0;
};

EncoderPlan plan_encoder(const EncoderConfig& config, size_t max_batch, size_t max_seq,
                         bool keep_hidden, bool keep_attentions, size_t threads);

// Pointers into the arena for one run, resolved from the plan.
struct EncoderBuffers {
  uint8_t* arena;  // the base the plan's offsets count from
  int32_t *ids, *mask, *types;
  float *hidden, *embedded, *attentions, *scores, *qkv, *ctx, *tmp, *normed, *ffn, *pooled, *logits, *probs;
};

EncoderBuffers resolve_buffers(const EncoderPlan& plan, uint8_t* arena);

// Runs the encoder on batch x seq tokens already in buffers.ids/mask/types (validated by the
// caller). Writes logits, pooled output (BERT), hidden states and attention maps as planned.
void run_encoder(const EncoderConfig& config, const EncoderWeights& weights, const OpContext& ctx,
                 const EncoderPlan& plan, const EncoderBuffers& buf, size_t batch, size_t seq);

}  // namespace tern
