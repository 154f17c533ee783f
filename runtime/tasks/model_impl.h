#pragma once

#include <memory>
#include <string>
#include <vector>

#include "format/blob.h"
#include "models/encoder.h"
#include "models/seq2seq.h"
#include "text/tokenizer.h"
#include "tern/model.h"

namespace tern {

struct ModelImpl {
  // Owner of the bytes when tern mapped the file itself (null for a caller's buffer).
  struct Mapping {
    void* addr = nullptr;
    size_t size = 0;
    ~Mapping();
  };
  std::unique_ptr<Mapping> mapping;
  Blob blob;
  Arch arch = Arch::kBert;
  bool encoder_decoder() const { return info.encoder_decoder; }
  EncoderConfig encoder;   // BERT family
  EncoderWeights weights;
  Seq2SeqConfig seq2seq;   // encoder-decoders
  Seq2SeqWeights seq2seq_weights;
  ModelInfo info;
  std::vector<std::string_view> labels;
  std::unique_ptr<Tokenizer> tokenizer;  // whichever the blob carries; null: token ids only
};

}  // namespace tern
