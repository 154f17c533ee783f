// Tokenizer files next to a checkpoint -> the blob's tokenizer table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tern_generated.h"

namespace tern::convert {

// vocab.txt (+ tokenizer_config.json, special_tokens_map.json) in `dir`; null when there is no
// vocab.txt (the blob then takes token ids only; a note says so).
std::unique_ptr<fb::TokenizerT> read_wordpiece(const std::string& dir, std::vector<std::string>* notes);
// spiece.model (+ tokenizer_config.json: legacy, extra_ids, added tokens) in `dir`; null without
// spiece.model. Pieces plus extra ids must fit in `vocab_limit` (the model's vocab_size).
std::unique_ptr<fb::TokenizerT> read_sentencepiece(const std::string& dir, int64_t vocab_limit,
                                                   std::vector<std::string>* notes);

// The special-token template of the Hugging Face tokenizer classes the families use, written into
// the blob so that the runtime has none per architecture: BERT-like ([CLS] a [SEP] b [SEP], type ids
// 0/1), RoBERTa-like (<s> a </s></s> b </s>, type ids 0), T5 (a </s> b </s>, </s> not repeated).
enum class TemplateStyle { kBert, kRoberta, kT5 };
void set_template(fb::TokenizerT* tok, TemplateStyle style);

}  // namespace tern::convert
