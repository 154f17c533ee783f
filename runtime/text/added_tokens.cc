#include "text/added_tokens.h"

#include <algorithm>

namespace tern {

Status AddedTokens::init(const flatbuffers::Vector<flatbuffers::Offset<fb::AddedToken>>* tokens, int vocab_size) {
  tokens_ = tokens;
  trie_.assign(1, Node{});
  if (!tokens) return Status();
  for (const fb::AddedToken* a : *tokens) {
    TERN_CHECK_OR_RETURN(a->id() >= 0 && a->id() < vocab_size && a->content()->size() > 0, Code::kInvalidModel,
                         "tokenizer: added token '%s' has id %d", a->content()->c_str(), a->id());
    size_t node = 0;
    for (char c : a->content()->string_view()) {
      auto& edges = trie_[node].next;
      auto it = std::find_if(edges.begin(), edges.end(), [c](const auto& e) { return e.first == uint8_t(c); });
      if (it != edges.end()) {
        node = size_t(it->second);
        continue;
      }
      edges.emplace_back(uint8_t(c), int32_t(trie_.size()));
      node = trie_.size();
      trie_.emplace_back();
    }
    if (!trie_[node].token) trie_[node].token = a;  // a duplicate: the first one wins
  }
  return Status();
}

const fb::AddedToken* AddedTokens::match(std::string_view text, size_t at, size_t* len) const {
  const fb::AddedToken* best = nullptr;
  size_t node = 0;
  for (size_t i = at; i < text.size(); ++i) {
    const auto& edges = trie_[node].next;
    auto it = std::find_if(edges.begin(), edges.end(), [c = uint8_t(text[i])](const auto& e) { return e.first == c; });
    if (it == edges.end()) break;
    node = size_t(it->second);
    if (trie_[node].token) best = trie_[node].token, *len = i + 1 - at;
  }
  return best;
}

const fb::AddedToken* AddedTokens::find(std::string_view text, size_t* pos, size_t* len) const {
  if (trie_.size() <= 1) return nullptr;
  for (size_t p = 0; p < text.size(); ++p)
    if (const fb::AddedToken* t = match(text, p, len)) {
      *pos = p;
      return t;
    }
  return nullptr;
}

const fb::AddedToken* AddedTokens::by_id(int32_t id) const {
  if (tokens_)
    for (const fb::AddedToken* a : *tokens_)
      if (a->id() == id) return a;
  return nullptr;
}

}  // namespace tern
