// Added tokens (Hugging Face's tokens_trie): strings matched verbatim in a text before the
// tokenizer proper sees it, leftmost first, then longest. Their bytes form a trie, so that finding
// them walks each position of the text once, at most the longest token deep: linear in the text.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/status.h"
#include "tern_generated.h"

namespace tern {

class AddedTokens {
 public:
  // `tokens` (may be null) must outlive this object; ids must be below vocab_size.
  Status init(const flatbuffers::Vector<flatbuffers::Offset<fb::AddedToken>>* tokens, int vocab_size);
  // The leftmost, then longest, added token in `text`: sets *pos and *len, or returns null.
  const fb::AddedToken* find(std::string_view text, size_t* pos, size_t* len) const;
  // The added token with this id, or null.
  const fb::AddedToken* by_id(int32_t id) const;

 private:
  const fb::AddedToken* match(std::string_view text, size_t at, size_t* len) const;
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> next;  // byte -> child node
    const fb::AddedToken* token = nullptr;          // the added token ending here, if any
  };
  std::vector<Node> trie_;  // node 0 is the root
  const flatbuffers::Vector<flatbuffers::Offset<fb::AddedToken>>* tokens_ = nullptr;
};

}  // namespace tern
