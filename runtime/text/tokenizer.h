// The one tokenizer interface tasks use, whichever tokenizer the blob carries (WordPiece,
// SentencePiece unigram, byte-level BPE): chosen from the blob's tokenizer table, never from the
// model's architecture. It wraps a text (or a pair) in the special tokens of the blob's template,
// truncates as Hugging Face's longest_first, and reports where each token came from. Encoding
// allocates nothing: outputs and scratch are the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/status.h"
#include "tern_generated.h"
#include "text/bpe.h"
#include "text/sentencepiece.h"
#include "text/token_sink.h"
#include "text/wordpiece.h"

namespace tern {

// Where a token came from: bytes [begin, end) of its UTF-8 text (the second text for tokens of a
// pair's second part). Template special tokens have begin == end == 0; a token some normalization
// produced out of nothing (SentencePiece's dummy-prefix U+2581 alone) is empty at its position.
struct TokenOffsets {
  uint32_t begin = 0, end = 0;
};

// Caller-owned outputs, each `capacity` entries; type_ids and offsets may be null.
struct EncodeOutput {
  int32_t* ids = nullptr;            // [capacity]
  int32_t* type_ids = nullptr;       // [capacity]
  TokenOffsets* offsets = nullptr;   // [capacity]
  size_t capacity = 0;
};

struct Encoded {
  size_t length = 0;      // tokens written
  size_t pair_start = 0;  // index of the first token of the second text's part (== length without one)
};

struct SpecialIds {  // -1: the tokenizer has none
  int32_t pad = -1, cls = -1, sep = -1, unk = -1, mask = -1;  // cls is also bos, sep also eos
};

class Tokenizer {
 public:
  enum class Kind { kWordPiece, kSentencePiece, kBpe };

  // Reads the blob's tokenizer in place (at model load); `spec` must outlive this object. Every id
  // must be below model_vocab_size.
  Status init(const fb::Tokenizer& spec, int model_vocab_size);

  Kind kind() const { return kind_; }
  const char* kind_name() const;
  const SpecialIds& special() const { return special_; }

  // Working memory encode() needs, 8-byte aligned (0 for WordPiece).
  size_t scratch_bytes() const;

  // a (and b, if not null) with the template's special tokens into `out`. Longer than
  // out.capacity: kResourceExhausted, or with `truncate` Hugging Face's longest_first truncation
  // (a single text reads no further than the tokens it keeps). Fails on invalid UTF-8.
  Result<Encoded> encode(std::string_view a, const std::string_view* b, uint8_t* scratch, bool truncate,
                         const EncodeOutput& out) const;
  // The text's tokens without special tokens, to `emit`; stops when it returns false.
  Status tokenize(std::string_view text, uint8_t* scratch, TokenSink emit) const;

  // As the Hugging Face tokenizer's decode(ids, skip_special_tokens), clean-up included.
  std::string decode(const int32_t* ids, size_t count, bool skip_special) const;
  // The token an id stands for, as the tokenizer's convert_ids_to_tokens gives it (WordPiece
  // "##ing", SentencePiece U+2581 "the", byte-level BPE U+0120 "the", added tokens' content); empty
  // for an id outside the vocabulary.
  std::string_view token(int32_t id) const;

  const WordPiece* wordpiece() const { return wordpiece_.get(); }
  const SentencePiece* sentencepiece() const { return sentencepiece_.get(); }
  const Bpe* bpe() const { return bpe_.get(); }

 private:
  struct Piece {
    int32_t id, type_id;  // id >= 0: a special token; kTextA / kTextB: a text's tokens
  };
  static constexpr int32_t kTextA = -1, kTextB = -2;
  Status set_template(const fb::Tokenizer& spec, int model_vocab_size);

  Kind kind_ = Kind::kWordPiece;
  std::unique_ptr<WordPiece> wordpiece_;
  std::unique_ptr<SentencePiece> sentencepiece_;
  std::unique_ptr<Bpe> bpe_;
  SpecialIds special_;
  std::vector<Piece> single_, pair_;
  bool eos_if_absent_ = false;
};

}  // namespace tern
