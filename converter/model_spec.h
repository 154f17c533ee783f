// Maps a checkpoint's tensors onto tern's canonical tensor names for one architecture, checking
// every shape against the config and listing every problem (missing, unexpected, mis-shaped) at once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "json_fields.h"
#include "tern_generated.h"

namespace tern::convert {

// How the weights policy treats a tensor. kHead: a classifier's pooler and output layer, which
// stay float (they run on one row per text, so their cost is nil, and int8 there is a large part
// of the whole model's int8 error).
enum class Role { kLinear, kEmbedding, kParam, kHead };

struct OutTensor {
  std::string name;                  // canonical, as the runtime binds it
  std::vector<std::string> sources;  // checkpoint names it came from (for --keep-float, --report)
  std::vector<int64_t> shape;
  // The checkpoint tensors it is made of, concatenated along rows (q, k, v -> qkv). They point into
  // the TensorMap the spec was built from, which must outlive the spec; nothing is decoded until
  // the writer reads the tensor.
  std::vector<const SourceTensor*> parts;
  Role role = Role::kParam;
  int64_t numel() const;
  // Decodes the parts to f32, row-major, into `out` (numel() floats).
  void read(float* out) const;
};

struct ModelSpec {
  fb::Arch arch = fb::Arch::Bert;
  std::string family;  // config.json's model_type, or "torch-encoder" / "torch-seq2seq"
  fb::EncoderConfigT encoder;
  fb::Seq2SeqConfigT seq2seq;  // T5 and torch seq2seq
  std::unique_ptr<fb::GenerationConfigT> generation;
  std::vector<std::unique_ptr<fb::GenerationConfigT>> tasks;
  // Where the generation config, then each task, came from (file and path), for messages.
  std::vector<std::string> generation_sources;
  std::vector<std::string> labels;
  std::vector<OutTensor> tensors;
  // Views of checkpoint tensors some OutTensors read (rows of a packed projection, a buffer without
  // its size-1 axis): the spec owns them; unique_ptr keeps their addresses when the spec moves.
  std::vector<std::unique_ptr<SourceTensor>> views;
  std::vector<std::string> notes;  // printed by the converter (ignored keys and why)
};

// Each keeps pointers into `tensors` (see OutTensor::parts).
// The Hugging Face encoder families (config.json model_type bert, distilbert, roberta, xlm-roberta,
// electra, albert), with a sequence or token classification head, or as an embedder when `dir`
// holds sentence-transformers' modules.json.
ModelSpec encoder_spec(const JsonFields& config, TensorMap& tensors, const std::string& dir);
// For messages: what encoder_spec takes.
constexpr const char kFamilyList[] = "(bert, distilbert, roberta, xlm-roberta, electra, albert)";
ModelSpec torch_encoder_spec(const JsonFields& config, TensorMap& tensors);
// `generation` is generation_config.json (may be an empty object).
ModelSpec t5_spec(const JsonFields& config, const JsonFields& generation, TensorMap& tensors);
// The torch nn.Transformer seq2seq model of PyTorch's translation tutorial (Seq2SeqTransformer):
// a state dict plus a config.json with "architecture": "TorchSeq2SeqTransformer".
ModelSpec torch_seq2seq_spec(const JsonFields& config, const JsonFields& generation, TensorMap& tensors);

}  // namespace tern::convert
