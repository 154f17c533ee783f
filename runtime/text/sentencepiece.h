// SentencePiece unigram tokenization identical to Hugging Face's (slow) T5Tokenizer over
// sentencepiece 0.1.97: added tokens matched verbatim first (with their lstrip/rstrip), then per
// chunk the normalizer (precompiled charsmap, whitespace rules, dummy prefix) and Viterbi over the
// pieces' scores (runs of unknown characters become one <unk>). Legacy and non-legacy
// (legacy=False) T5Tokenizer behaviour. Encoding allocates nothing: the caller gives scratch. The
// special-token template (a </s>) is the Tokenizer's (text/tokenizer.h), not this class's.
// BERT-family classes over SentencePiece, as the blob configures them: XLMRobertaTokenizer's
// fairseq ids and concatenating decode, AlbertTokenizer's preprocess_text (streamed per code
// point). Not done: AlbertTokenizer's re-split of pieces ending in digit + "," (no golden has one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/added_tokens.h"
#include "text/string_index.h"
#include "text/token_sink.h"
#include "text/unicode.h"
#include "tern/status.h"
#include "tern_generated.h"

namespace tern {

class SentencePiece {
 public:
  // Reads the pieces and their index in place (at model load). `spec` must outlive this object.
  Status init(const fb::SentencePiece& spec, int model_vocab_size);

  // Texts of any length stream through a window of normalized text: kWindowBytes is what sessions
  // plan (any window of at least min_window() works; a smaller one settles shorter stretches).
  static constexpr size_t kWindowBytes = 16384;
  static size_t scratch_bytes(size_t window);
  size_t min_window() const;
  struct Scratch {
    uint8_t* data = nullptr;  // scratch_bytes(text_bytes), 8-byte aligned
    size_t text_bytes = 0;    // the window
  };

  // The tokens of `text` (T5Tokenizer.tokenize, as ids), each with the bytes of `text` it came from,
  // to emit until it returns false (having read no more of the text than the tokens emitted need).
  Status tokenize(std::string_view text, const Scratch& scratch, TokenSink emit) const;
  // T5Tokenizer.decode(ids, skip_special_tokens), clean_up_tokenization_spaces as configured (true).
  std::string decode(const int32_t* ids, size_t count, bool skip_special) const;
  int32_t eos_id() const { return model_id(eos_id_); }
  int32_t unk_id() const { return model_id(unk_id_); }
  // At most how many normalized bytes one input byte becomes (NFKC can expand: U+FDFA, 3 bytes,
  // is 33 bytes normalized).
  size_t max_expansion() const { return max_expansion_; }
  int32_t pad_id() const { return model_id(pad_id_); }
  // The text of a model id: an added token's content, else its piece's.
  std::string_view token_text(int32_t id) const;

 private:
  struct Node;
  struct Input;
  struct Window;
  template <typename Emit>
  Status encode_chunk(std::string_view chunk, uint32_t at, bool first, const Scratch& s, Emit& emit) const;
  template <typename Emit>
  Status encode_pieces(Input& in, bool dummy_prefix, const Scratch& s, Emit& emit) const;
  Status normalize_more(Input& in, Window& w, bool dummy_prefix) const;
  size_t normalize_prefix(std::string_view in, std::string_view* replacement, bool* open) const;
  void extend_lattice(Window& w, size_t until) const;
  size_t settled_position(const Window& w) const;
  template <typename Emit>
  bool emit_path(Window& w, size_t end, Emit& emit) const;
  template <typename Emit>
  bool flush_pending(Window& w, Emit& emit) const;
  static void shift(Window& w, size_t at);
  static SourceSpan* window_spans(const Scratch& s);
  static char* stage(const Scratch& s);
  static SourceSpan* stage_spans(const Scratch& s);
  // The model's id of a piece the lattice found (fairseq's offset; unknown pieces to the unk token).
  int32_t model_id(int32_t piece) const {
    return piece < 0 ? -1 : piece == unk_id_ && unk_token_id_ >= 0 ? unk_token_id_ : piece + id_offset_;
  }
  // The piece of a model id, or -1 (an added token beyond the pieces, or outside the vocab).
  int32_t piece_of(int32_t id) const {
    const int64_t p = int64_t(id) - id_offset_;
    return p >= 0 && p < int64_t(types_.size()) ? int32_t(p) : -1;
  }
  // AlbertTokenizer.preprocess_text of one code point into out (room for kMaxNfkd * 3); returns
  // the count.
  int preprocess(uint32_t cp, uint32_t* out) const;
  std::string decode_concat(const int32_t* ids, size_t count, bool skip_special) const;
  // Bytes one normalizer step may append (a rule's output with every byte an escaped space), and
  // how far past a lattice start its pieces (or one UTF-8 character) reach.
  size_t normalized_room() const { return 3 * max_expansion_ + 3; }
  size_t reach() const { return max_piece_bytes_ > 4 ? max_piece_bytes_ : 4; }
  bool is_special(int32_t id) const;
  std::string decode_pieces(const int32_t* ids, size_t count) const;
  // Pieces the lattice can use (and the index holds): normal, user-defined and unused.
  static bool indexed(fb::PieceType t) {
    return t == fb::PieceType::Normal || t == fb::PieceType::UserDefined || t == fb::PieceType::Unused;
  }
  int32_t find_piece(std::string_view s) const {
    return pieces_.find(s, [this](int32_t id) { return id_to_piece_[size_t(id)]; });
  }

  const fb::SentencePiece* spec_ = nullptr;
  StringIndex pieces_;  // piece -> id, read from the blob
  std::vector<std::string_view> id_to_piece_;
  std::vector<uint8_t> types_;
  size_t max_piece_bytes_ = 0;
  float min_score_ = 0, max_score_ = 0;
  int32_t unk_id_ = 0, eos_id_ = 1, pad_id_ = 0;  // pieces
  int32_t id_offset_ = 0, unk_token_id_ = -1;
  bool preprocessing_ = false;  // any of AlbertTokenizer's preprocessing
  const uint32_t* trie_ = nullptr;  // precompiled charsmap: darts-clone units
  size_t trie_units_ = 0;
  const char* replacements_ = nullptr;
  size_t replacements_bytes_ = 0;
  size_t max_expansion_ = 3;  // U+FFFD for an invalid byte, U+2581 for a space
  size_t unk_prefix_ids_ = 0;  // non-legacy: ids "<unk>" encodes to (dropped after the prefix trick)
  AddedTokens added_;
};

}  // namespace tern
