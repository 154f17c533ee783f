// Byte-level BPE identical to Hugging Face's (slow) GPT2Tokenizer / RobertaTokenizer: added tokens
// split first (with their lstrip/rstrip), add_prefix_space as configured, GPT-2's pre-tokenization
// pattern  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+  matched by
// hand over Unicode categories, each word's UTF-8 bytes mapped to GPT-2's byte symbols and merged
// by rank. Encoding allocates nothing: the caller gives scratch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tern/status.h"
#include "tern_generated.h"
#include "text/added_tokens.h"
#include "text/string_index.h"
#include "text/token_sink.h"

namespace tern {

class Bpe {
 public:
  // Reads the vocab, merges and their indexes in place (at model load). `spec` must outlive this.
  Status init(const fb::BytePairEncoding& spec, int model_vocab_size);

  // Words are merged in scratch of this many bytes of the text. A longer word (a run of 4 KB of
  // letters, say) is merged in pieces of that size, split at character boundaries: linear time
  // and bounded memory for any text, at the cost of tokens that may differ from Hugging Face's
  // at the seams of such words.
  static constexpr size_t kMaxWordBytes = 4096;
  static size_t scratch_bytes();  // 8-byte aligned

  // The tokens of `text`, each with the bytes of `text` it came from (a prefix space added by
  // add_prefix_space has none), to emit until it returns false. Fails on invalid UTF-8.
  Status tokenize(std::string_view text, uint8_t* scratch, TokenSink emit) const;
  // As the tokenizer's decode: tokens' byte symbols back to bytes, invalid UTF-8 replaced with
  // U+FFFD (errors="replace"), clean_up_tokenization_spaces.
  std::string decode(const int32_t* ids, size_t count, bool skip_special) const;
  std::string_view token(int32_t id) const;  // the vocabulary's entry only
  // The text of an id: an added token's content, else its vocabulary entry.
  std::string_view token_text(int32_t id) const;
  int32_t lookup(std::string_view token) const {
    return vocab_index_.find(token, [this](int32_t id) { return this->token(id); });
  }
  size_t vocab_size() const { return vocab_ ? vocab_->size() : 0; }

 private:
  struct Symbol;
  struct Candidate;
  int32_t merge_rank(int32_t a, int32_t b) const;
  bool encode_chunk(std::string_view text, size_t begin, size_t end, bool lead_space, uint8_t* scratch,
                    TokenSink& emit) const;
  bool encode_word(std::string_view text, size_t begin, size_t end, bool lead_space, uint8_t* scratch,
                   TokenSink& emit) const;

  const fb::BytePairEncoding* spec_ = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* vocab_ = nullptr;
  const flatbuffers::Vector<const fb::BpeMerge*>* merges_ = nullptr;
  StringIndex vocab_index_, merge_index_;
  int32_t byte_id_[256];         // the token of each byte's symbol
  int16_t symbol_byte_[324];     // byte-to-unicode inverted: code point -> byte, -1 none
  AddedTokens added_;
};

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes for
// U+0100 + n in byte order (so ' ' is 'Ġ', U+0120).
uint32_t gpt2_byte_symbol(uint8_t byte);

}  // namespace tern
