// A loaded .tern model: read-only after load, shareable by any number of sessions on any threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/status.h"

namespace tern {

// The model's family, as converted (tern info prints it; nothing else depends on it).
enum class Arch { kBert = 0, kTorchEncoder = 1, kT5 = 2, kTorchSeq2Seq = 3 };

enum class Activation { kGeluErf = 0, kGeluTanh = 1, kRelu = 2, kTanh = 3, kSilu = 4 };

// What an encoder's head computes, and how its logits become scores (Hugging Face problem_type:
// single-label softmax, multi-label sigmoid, regression raw).
enum class Head { kSequenceClassification = 0, kTokenClassification = 1, kEmbedding = 2 };
enum class LabelOutput { kSoftmax = 0, kSigmoid = 1, kRaw = 2 };
enum class Pooling { kFirstToken = 0, kMean = 1 };

// What a model is and takes: for apps and tools (the full configs are internal).
struct ModelInfo {
  Arch arch = Arch::kBert;
  std::string_view family;       // what was converted: "roberta", "t5", "torch-seq2seq", ...
                                 // (blobs before format 1.4: the arch's name)
  bool encoder_decoder = false;  // generates text (Session::generate); else classifies or embeds
  int vocab_size = 0;            // input ids are below this
  int target_vocab_size = 0;     // encoder-decoder: generated ids are below this (else 0)
  int hidden_size = 0;
  int num_layers = 0;            // the encoder's
  int num_decoder_layers = 0;    // encoder-decoder
  int num_heads = 0;
  int max_positions = 0;         // the longest input (and, encoder-decoder, output + 1) the
                                 // position embeddings allow; 0: no limit
  Activation activation = Activation::kGeluErf;
  Head head = Head::kSequenceClassification;  // encoder
  LabelOutput label_output = LabelOutput::kSoftmax;
  int decoder_start_token_id = -1, eos_token_id = -1, pad_token_id = -1;  // encoder-decoder

  // The ids the tokenizer decodes and Model::token names: an encoder-decoder's generated ones.
  int decoded_vocab_size() const { return encoder_decoder ? target_vocab_size : vocab_size; }
  // What SessionOptions::max_seq 0 plans for: the positions the model has, at most 512.
  size_t default_max_seq() const { return max_positions > 0 && max_positions < 512 ? size_t(max_positions) : 512; }
};

struct ModelImpl;

class TERN_API Model {
 public:
  // Maps the file read-only; weights are used in place. Validates everything before returning.
  static Result<std::unique_ptr<Model>> load(const char* path);
  // Uses the caller's bytes in place: `data` must be 64-byte aligned and outlive the Model.
  static Result<std::unique_ptr<Model>> from_buffer(const void* data, size_t size);
  ~Model();

  Arch arch() const;
  const ModelInfo& info() const;
  size_t num_labels() const;
  std::string_view label(size_t id) const;  // "LABEL_<id>"-style names from id2label
  bool has_tokenizer() const;
  // Convenience for tools (they allocate; Session::classify/generate do not): the ids the model's
  // tokenizer gives a text, special tokens included, and the text of ids (special tokens skipped
  // or kept; WordPiece always skips them).
  Result<std::vector<int32_t>> tokenize(std::string_view text) const;
  std::string decode(const int32_t* ids, size_t count, bool skip_special = true) const;
  // The token an id stands for, as the tokenizer's convert_ids_to_tokens gives it ("##ing",
  // U+2581 "the"); points into the model. Empty without a tokenizer or for an id outside the
  // vocabulary.
  std::string_view token(int32_t id) const;
  // The model's facts (file, architecture and config, tokenizer, tensors, generation defaults) as
  // "label: values" lines, or as one JSON object with a member per line (tern info).
  std::string describe(bool json = false) const;
  size_t file_bytes() const;

  const ModelImpl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<ModelImpl> impl);
  std::unique_ptr<ModelImpl> impl_;
};

TERN_API const char* arch_name(Arch arch);
// Hugging Face's name for an activation (gelu is the erf form, gelu_new the tanh one).
TERN_API const char* activation_name(Activation activation);
TERN_API const char* head_name(Head head);

}  // namespace tern
