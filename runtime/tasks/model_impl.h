#pragma once

#include <memory>
#include <string>
#include <vector>

#include "format/blob.h"
#include "models/encoder.h"
#include "models/t5.h"
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
  EncoderConfig encoder;   // BERT family
  EncoderWeights weights;
  T5Config t5;             // T5
  T5Weights t5_weights;
  std::vector<std::string_view> labels;
  std::unique_ptr<Tokenizer> tokenizer;  // whichever the blob carries; null: token ids only
};

}  // namespace tern
