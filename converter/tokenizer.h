// Tokenizer files next to a checkpoint -> the blob's tokenizer table.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tern_generated.h"

namespace tern::convert {

// The tokenizer files next to a checkpoint, whichever kind they are (tokenizer_config.json's
// tokenizer_class, else the files present): vocab.json + merges.txt (byte-level BPE),
// sentencepiece.bpe.model (XLM-R), spiece.model (T5, ALBERT), vocab.txt (WordPiece), else
// tokenizer.json (Hugging Face `tokenizers`' serialization; read_tokenizer_json). Null when
// there are none (the blob then takes token ids only; a note says so). Every id must fit in
// `vocab_limit` (the model's vocab_size).
std::unique_ptr<fb::TokenizerT> read_tokenizer(const std::string& dir, int64_t vocab_limit,
                                               std::vector<std::string>* notes);

// vocab.txt (+ tokenizer_config.json, special_tokens_map.json) in `dir`; null when there is no
// vocab.txt (the blob then takes token ids only; a note says so).
std::unique_ptr<fb::TokenizerT> read_wordpiece(const std::string& dir, std::vector<std::string>* notes);
// tokenizer.json in `dir` (+ tokenizer_config.json, special_tokens_map.json for the special ids):
// a WordPiece, byte-level BPE or unigram model as the blob's WordPiece, BytePairEncoding or
// SentencePiece table. Whatever tern would not reproduce exactly is refused (ConvertError naming
// the file, the field and the value).
std::unique_ptr<fb::TokenizerT> read_tokenizer_json(const std::string& dir, int64_t vocab_limit,
                                                    std::vector<std::string>* notes);
// The token -> id hash index of `wp`'s vocab, laid out for the runtime to read in place.
void index_wordpiece_vocab(fb::WordPieceT* wp);
// Standard base64 (with padding) to bytes; `what` names the file and field for the refusal.
std::vector<uint8_t> base64_decode(const std::string& text, const std::string& what);

// spiece.model (+ tokenizer_config.json: legacy, extra_ids, added tokens) in `dir`; null without
// spiece.model. Pieces plus extra ids must fit in `vocab_limit` (the model's vocab_size).
std::unique_ptr<fb::TokenizerT> read_sentencepiece(const std::string& dir, int64_t vocab_limit,
                                                   std::vector<std::string>* notes);
// The same from spiece.model's bytes and tokenizer_config.json's content (an empty object when
// there is none); `dir` only names the files in errors.
std::unique_ptr<fb::TokenizerT> sentencepiece_tokenizer(const std::string& model_bytes,
                                                        const nlohmann::json& tokenizer_config,
                                                        int64_t vocab_limit, const std::string& dir);

// The special-token template of the Hugging Face tokenizer classes the families use, written into
// the blob so that the runtime has none per architecture: BERT-like ([CLS] a [SEP] b [SEP], type ids
// 0/1), RoBERTa-like (<s> a </s></s> b </s>, type ids 0), T5 (a </s> b </s>, </s> not repeated).
enum class TemplateStyle { kBert, kRoberta, kT5, kNone };
void set_template(fb::TokenizerT* tok, TemplateStyle style);

// XLMRobertaTokenizer's sentencepiece.bpe.model or AlbertTokenizer's spiece.model (`file`) in
// `dir`, as the class `cls` uses it.
std::unique_ptr<fb::TokenizerT> read_bert_family_sentencepiece(const std::string& dir, const std::string& file,
                                                               const std::string& cls, int64_t vocab_limit);
// vocab.json + merges.txt (+ tokenizer_config.json) in `dir`.
std::unique_ptr<fb::TokenizerT> read_bpe(const std::string& dir, int64_t vocab_limit, std::vector<std::string>* notes);
// A byte-level BPE from its tokens (by id) and merges (by rank), with its indexes.
std::unique_ptr<fb::BytePairEncodingT> bpe_from_vocab_and_merges(
    std::vector<std::string> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
    const std::string& what);

// A special token in a config is a string or {"content": ...} (AddedToken); `what` names the
// file and field for messages.
std::string token_text(const nlohmann::json& v, const std::string& what);
// tokenizer_config.json's added_tokens_decoder; without it (older configs) the special tokens of
// special_tokens_map.json with their ids in `vocab` (a token -> id object).
std::vector<std::unique_ptr<fb::AddedTokenT>> read_added_tokens(const nlohmann::json& cfg, const nlohmann::json& special_map,
                                                                const nlohmann::json& vocab, const std::string& dir);
// pad, cls (or bos), sep (or eos), unk and mask ids of the tokenizer, by their text in the configs.
void set_special_ids(fb::TokenizerT* tok, const nlohmann::json& cfg, const nlohmann::json& special_map,
                     const std::vector<std::unique_ptr<fb::AddedTokenT>>& added);

}  // namespace tern::convert
