// vocab.json + merges.txt (GPT2Tokenizer / RobertaTokenizer files) -> the blob's byte-level BPE.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "text/string_index.h"
#include "tokenizer.h"

namespace tern::convert {

std::unique_ptr<fb::BytePairEncodingT> bpe_from_vocab_and_merges(
    std::vector<std::string> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
    const std::string& what) {
  auto bpe = std::make_unique<fb::BytePairEncodingT>();
  // The runtime's token -> id index, laid out here so that loading builds nothing.
  bpe->vocab = std::move(vocab);
  StringIndexTable index = build_string_index(
      bpe->vocab.size(), [&](int32_t id) { return std::string_view(bpe->vocab[size_t(id)]); },
      [](size_t) { return true; });
  auto id_of = [&](const std::string& t) {
    return index.slots.empty() ? -1 : [&] {
      const uint32_t mask = uint32_t(index.slots.size() - 1);
      for (uint32_t i = string_hash(t) & mask;; i = (i + 1) & mask) {
        const int32_t id = index.slots[i];
        if (id < 0 || bpe->vocab[size_t(id)] == t) return id;
      }
    }();
  };
  // As the slow tokenizer, a merge's parts and result must be tokens (tokenizers' BPE refuses a
  // result outside the vocab too); a repeated pair keeps its first rank.
  std::vector<std::string> missing;
  for (const auto& [a, b] : merges) {
    const int32_t ia = id_of(a), ib = id_of(b), ir = id_of(a + b);
    if (ia < 0 || ib < 0 || ir < 0) {
      if (missing.size() < 5) missing.push_back("'" + a + " " + b + "'");
      continue;
    }
    bpe->merges.emplace_back(ia, ib, ir);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ConvertError(what + ": merges whose tokens are not in the vocab: " + list);
  }
  bpe->vocab_index = std::move(index.slots);
  bpe->vocab_index_max_probe = index.max_probe;
  // The (a, b) -> rank index: the key is a's and b's little-endian bytes, as the runtime reads
  // BpeMerge in the blob.
  std::vector<std::string> keys(bpe->merges.size());
  for (size_t r = 0; r < keys.size(); ++r) {
    keys[r].resize(8);
    const uint32_t a = uint32_t(bpe->merges[r].a()), b = uint32_t(bpe->merges[r].b());
    for (int i = 0; i < 4; ++i) keys[r][size_t(i)] = char(a >> (8 * i)), keys[r][size_t(4 + i)] = char(b >> (8 * i));
  }
  StringIndexTable merge_index = build_string_index(
      keys.size(), [&](int32_t r) { return std::string_view(keys[size_t(r)]); }, [](size_t) { return true; });
  bpe->merge_index = std::move(merge_index.slots);
  bpe->merge_index_max_probe = merge_index.max_probe;
  return bpe;
}

std::unique_ptr<fb::TokenizerT> read_bpe(const std::string& dir, int64_t vocab_limit, std::vector<std::string>* notes) {
  (void)notes;
  const nlohmann::json vocab_json = read_json(dir + "/vocab.json");
  if (!vocab_json.is_object()) throw ConvertError(dir + "/vocab.json: not an object of token -> id");
  const nlohmann::json cfg = read_json(dir + "/tokenizer_config.json", true);
  const nlohmann::json special_map = read_json(dir + "/special_tokens_map.json", true);
  std::vector<std::string> vocab;
  auto place = [&](int64_t id, const std::string& token, const std::string& what) {
    if (id < 0 || id >= vocab_limit)
      throw ConvertError(what + ": token '" + token + "' has id " + std::to_string(id) + ", not in 0.." +
                         std::to_string(vocab_limit - 1) + " (the model's vocab_size)");
    if (size_t(id) >= vocab.size()) vocab.resize(size_t(id) + 1);
    if (vocab[size_t(id)].empty()) vocab[size_t(id)] = token;
  };
  for (auto& [token, id] : vocab_json.items()) {
    if (!id.is_number_integer()) throw ConvertError(dir + "/vocab.json: the id of '" + token + "' is not an integer");
    place(id.get<int64_t>(), token, dir + "/vocab.json");
  }
  // merges.txt as the slow tokenizer reads it: the first line (#version) and the last (empty
  // after the final newline) dropped, each line split on whitespace.
  const std::string text = read_text_file(dir + "/merges.txt");
  std::vector<std::string> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::vector<std::pair<std::string, std::string>> merges;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    std::vector<std::string> parts;
    for (size_t p = 0; p < lines[i].size();) {
      while (p < lines[i].size() && std::isspace(uint8_t(lines[i][p]))) ++p;
      size_t q = p;
      while (q < lines[i].size() && !std::isspace(uint8_t(lines[i][q]))) ++q;
      if (q > p) parts.push_back(lines[i].substr(p, q - p));
      p = q;
    }
    if (parts.size() == 2) merges.emplace_back(parts[0], parts[1]);
    else if (!parts.empty()) throw ConvertError(dir + "/merges.txt: line " + std::to_string(i + 1) + " is not two tokens");
  }
  auto tok = std::make_unique<fb::TokenizerT>();
  std::vector<std::unique_ptr<fb::AddedTokenT>> added = read_added_tokens(cfg, special_map, vocab_json, dir);
  for (const auto& a : added) place(a->id, a->content, dir + "/tokenizer_config.json");
  set_special_ids(tok.get(), cfg, special_map, added);
  auto bpe = bpe_from_vocab_and_merges(std::move(vocab), merges, dir + "/merges.txt");
  bpe->add_prefix_space = cfg.value("add_prefix_space", false);
  bpe->added_tokens = std::move(added);
  tok->bpe = std::move(bpe);
  const std::string cls = cfg.value("tokenizer_class", std::string());
  set_template(tok.get(), cls.rfind("GPT2", 0) == 0 ? TemplateStyle::kNone : TemplateStyle::kRoberta);
  return tok;
}

}  // namespace tern::convert
