// Tokenizer files next to a checkpoint -> the blob's tokenizer table.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
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
// The same from spiece.model's bytes and tokenizer_config.json's content (an empty object when
// there is none); `dir` only names the files in errors.
std::unique_ptr<fb::TokenizerT> sentencepiece_tokenizer(const std::string& model_bytes,
                                                        const nlohmann::json& tokenizer_config,
                                                        int64_t vocab_limit, const std::string& dir);

}  // namespace tern::convert
