// `tern generate --stream`: a generated text printed as its tokens come.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tern/model.h"

namespace tern::cli {

// How many leading bytes of `text` (the decoded text of the tokens so far) more tokens will not
// change, so can be printed. Decoding the tokens so far is not a prefix of decoding more of them at
// the end of the text: SentencePiece and byte-level BPE pieces may form a UTF-8 character only
// together (an incomplete one decodes as U+FFFD), a trailing space is stripped, and Hugging Face's
// clean-up joins " ." " ," " n't" " 's" ... Their changes all touch the end of the text after its
// last whitespace, and only ASCII there. So: the whole text when it ends with a complete
// non-ASCII character other than U+FFFD (scripts without spaces), else the text before its last
// whitespace. Always a whole number of UTF-8 characters.
size_t settled_bytes(std::string_view text);

// One sequence's text, printed to `out` as tokens are added: each add() decodes the tokens so far
// and prints the settled text not printed yet, then flushes. finish() prints the rest and a
// newline: in all, exactly what decoding the whole sequence gives.
class TextStream {
 public:
  TextStream(const Model& model, int32_t start_token, std::FILE* out);
  void add(int32_t token);
  void finish();

 private:
  void print_until(const std::string& text, size_t end);
  const Model& model_;
  std::FILE* out_;
  std::vector<int32_t> tokens_;  // the start token, then every token added
  std::string printed_;
};

}  // namespace tern::cli
