// WordPiece tokenization identical to Hugging Face's (slow) BertTokenizer: special tokens matched
// verbatim first, then per-character lower-casing, text cleaning, CJK splitting, whitespace and
// punctuation splitting, accent stripping (NFD, drop Mn), and greedy longest-match-first WordPiece
// with [UNK] for words over max_input_chars_per_word. Encoding allocates nothing. The special-token
// template ([CLS] a [SEP] ...) is the Tokenizer's (text/tokenizer.h), not this class's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/string_index.h"
#include "tern/status.h"
#include "tern_generated.h"

namespace tern {

class WordPiece {
 public:
  // Reads the vocabulary and its index in place (at model load). `spec` must outlive this object.
  Status init(const fb::WordPiece& spec, int model_vocab_size);

  // Calls emit(id, begin, end) for each token of `text` (no [CLS]/[SEP]), [begin, end) the bytes of
  // `text` it came from; stops early when emit returns false. Fails on invalid UTF-8.
  template <typename Emit>
  Status tokenize(std::string_view text, Emit&& emit) const;

  // As BertTokenizer.decode(ids, skip_special_tokens) with clean_up_tokenization_spaces.
  std::string decode(const int32_t* ids, size_t count, bool skip_special = true) const;
  std::string_view token(int32_t id) const;
  size_t vocab_size() const { return vocab_ ? vocab_->size() : 0; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t lookup(std::string_view piece) const;  // token -> id, or -1

 private:
  struct Word;
  template <typename Emit>
  bool emit_word(const Word& w, Emit& emit) const;
  template <typename Emit>
  Status tokenize_plain(std::string_view text, size_t base, Emit& emit, bool* stopped) const;

  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* vocab_ = nullptr;  // id -> token
  StringIndex index_;                                                                   // token -> id
  std::vector<std::string_view> specials_;
  bool lower_ = false, strip_accents_ = false, split_cjk_ = true;
  int32_t unk_id_ = 0, cls_id_ = 0, sep_id_ = 0, pad_id_ = 0;
  size_t max_word_chars_ = 100;
};

}  // namespace tern

#include "text/wordpiece_impl.h"
