#include "tokenizer.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoint.h"
#include "json_fields.h"
#include "text/string_index.h"

namespace tern::convert {

// A special token is a string or {"content": ...} (AddedToken); `what` names the file and field.
std::string token_text(const nlohmann::json& v, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) return JsonFields(v, what).string_or("content", "");
  return "";
}

namespace {
const char* const kSpecialKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                                    "mask_token"};
// A special token's text: tokenizer_config.json's, else special_tokens_map.json's.
std::string special_text(const nlohmann::json& cfg, const nlohmann::json& special_map, const char* key) {
  const std::string what = std::string("'") + key + "'";
  if (cfg.contains(key) && !token_text(cfg[key], what).empty()) return token_text(cfg[key], what);
  if (special_map.contains(key)) return token_text(special_map[key], what);
  return "";
}
}  // namespace

std::vector<std::unique_ptr<fb::AddedTokenT>> read_added_tokens(const nlohmann::json& cfg, const nlohmann::json& special_map,
                                                                const nlohmann::json& vocab, const std::string& dir) {
  std::vector<std::unique_ptr<fb::AddedTokenT>> out;
  if (cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()) {
    for (auto& [id, tok] : cfg["added_tokens_decoder"].items()) {
      auto a = std::make_unique<fb::AddedTokenT>();
      try {
        a->id = std::stoi(id);
      } catch (const std::exception&) {
        throw ConvertError(dir + "/tokenizer_config.json: added token id '" + id + "' is not a number");
      }
      a->content = tok.value("content", std::string());
      a->lstrip = tok.value("lstrip", false);
      a->rstrip = tok.value("rstrip", false);
      a->special = tok.value("special", true);
      if (a->content.empty() || a->id < 0)
        throw ConvertError(dir + "/tokenizer_config.json: added token " + id + " is invalid");
      out.push_back(std::move(a));
    }
    return out;
  }
  for (const char* key : kSpecialKeys) {
    const std::string text = special_text(cfg, special_map, key);
    if (text.empty() || !vocab.is_object() || !vocab.contains(text)) continue;
    bool seen = false;
    for (const auto& a : out) seen = seen || a->content == text;
    if (seen) continue;
    auto a = std::make_unique<fb::AddedTokenT>();
    a->content = text;
    a->id = vocab[text].get<int32_t>();
    const nlohmann::json& v = special_map.contains(key) ? special_map[key] : nlohmann::json();
    a->lstrip = v.is_object() ? v.value("lstrip", false) : std::string(key) == "mask_token";
    a->rstrip = v.is_object() && v.value("rstrip", false);
    a->special = true;
    out.push_back(std::move(a));
  }
  return out;
}

void set_special_ids(fb::TokenizerT* tok, const nlohmann::json& cfg, const nlohmann::json& special_map,
                     const std::vector<std::unique_ptr<fb::AddedTokenT>>& added) {
  auto id_of = [&](const char* key, const char* fallback_key) {
    std::string text = special_text(cfg, special_map, key);
    if (text.empty() && fallback_key) text = special_text(cfg, special_map, fallback_key);
    for (const auto& a : added)
      if (!text.empty() && a->content == text) return a->id;
    return -1;
  };
  tok->pad_id = id_of("pad_token", nullptr);
  tok->cls_id = id_of("cls_token", "bos_token");
  tok->sep_id = id_of("sep_token", "eos_token");
  tok->unk_id = id_of("unk_token", nullptr);
  tok->mask_id = id_of("mask_token", nullptr);
}

void set_template(fb::TokenizerT* tok, TemplateStyle style) {
  auto pp = std::make_unique<fb::PostProcessorT>();
  constexpr int32_t a = -1, b = -2;
  const int32_t cls = tok->cls_id, sep = tok->sep_id;
  if (style == TemplateStyle::kBert) {
    pp->single = {{cls, 0}, {a, 0}, {sep, 0}};
    pp->pair = {{cls, 0}, {a, 0}, {sep, 0}, {b, 1}, {sep, 1}};
  } else if (style == TemplateStyle::kRoberta) {
    pp->single = {{cls, 0}, {a, 0}, {sep, 0}};
    pp->pair = {{cls, 0}, {a, 0}, {sep, 0}, {sep, 0}, {b, 0}, {sep, 0}};
  } else if (style == TemplateStyle::kT5) {
    pp->single = {{a, 0}, {sep, 0}};
    pp->pair = {{a, 0}, {sep, 0}, {b, 0}, {sep, 0}};
    pp->eos_if_absent = true;
  } else {  // GPT2Tokenizer: no special tokens
    pp->single = {{a, 0}};
    pp->pair = {{a, 0}, {b, 0}};
  }
  if (style != TemplateStyle::kNone && (sep < 0 || (style != TemplateStyle::kT5 && cls < 0)))
    throw ConvertError("tokenizer: the template needs cls and sep (or eos) tokens the tokenizer does not have");
  tok->post_processor = std::move(pp);
}

void index_wordpiece_vocab(fb::WordPieceT* wp) {
  // Laid out here so that loading builds nothing.
  StringIndexTable index = build_string_index(
      wp->vocab.size(), [&](int32_t id) { return std::string_view(wp->vocab[size_t(id)]); },
      [](size_t) { return true; });
  wp->vocab_index = std::move(index.slots);
  wp->vocab_index_max_probe = index.max_probe;
}

std::unique_ptr<fb::TokenizerT> read_wordpiece(const std::string& dir, std::vector<std::string>* notes) {
  const std::string vocab_path = dir + "/vocab.txt";
  if (!file_exists(vocab_path)) {
    notes->push_back("no vocab.txt in " + dir + ": the model will take token ids only");
    return nullptr;
  }
  auto wp = std::make_unique<fb::WordPieceT>();
  // As transformers' load_vocab: one token per line, only the trailing "\n" removed.
  const std::string text = read_text_file(vocab_path);
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    wp->vocab.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  const std::string cfg_path = dir + "/tokenizer_config.json", map_path = dir + "/special_tokens_map.json";
  nlohmann::json cfg = read_json(cfg_path, true);
  nlohmann::json special_map = read_json(map_path, true);
  auto flag = [&](const char* key, bool fallback) {
    return cfg.contains(key) && cfg[key].is_boolean() ? cfg[key].get<bool>() : fallback;
  };
  wp->do_lower_case = flag("do_lower_case", true);
  wp->strip_accents = cfg.contains("strip_accents") && cfg["strip_accents"].is_boolean()
                          ? cfg["strip_accents"].get<bool>()
                          : wp->do_lower_case;
  wp->tokenize_chinese_chars = flag("tokenize_chinese_chars", true);
  if (cfg.contains("do_basic_tokenize") && cfg["do_basic_tokenize"] == false)
    throw ConvertError(dir + ": do_basic_tokenize=false is not supported");
  auto special = [&](const char* key, const char* fallback) {
    std::string s = fallback;
    if (special_map.contains(key)) s = token_text(special_map[key], map_path + ": '" + key + "'");
    if (cfg.contains(key) && !token_text(cfg[key], cfg_path + ": '" + key + "'").empty())
      s = token_text(cfg[key], cfg_path);
    for (size_t i = 0; i < wp->vocab.size(); ++i)
      if (wp->vocab[i] == s) return std::make_pair(s, int32_t(i));
    throw ConvertError(vocab_path + ": special token " + key + " '" + s + "' is not in the vocab");
  };
  std::set<std::string> specials;
  auto take = [&](const char* key, const char* fallback, int32_t* id) {
    auto [s, i] = special(key, fallback);
    *id = i;
    specials.insert(s);
  };
  int32_t mask_id = 0;
  take("unk_token", "[UNK]", &wp->unk_id);
  take("cls_token", "[CLS]", &wp->cls_id);
  take("sep_token", "[SEP]", &wp->sep_id);
  take("pad_token", "[PAD]", &wp->pad_id);
  take("mask_token", "[MASK]", &mask_id);
  const JsonFields added = JsonFields(cfg, cfg_path).object_or_empty("added_tokens_decoder");
  for (auto& [id, tok] : added.json().items()) {
    json_id_key(id, added.where(), 0, std::numeric_limits<int32_t>::max());
    specials.insert(token_text(tok, added.where() + "." + id));
  }
  wp->special_tokens.assign(specials.begin(), specials.end());
  index_wordpiece_vocab(wp.get());
  auto tok = std::make_unique<fb::TokenizerT>();
  tok->pad_id = wp->pad_id, tok->cls_id = wp->cls_id, tok->sep_id = wp->sep_id, tok->unk_id = wp->unk_id;
  tok->mask_id = mask_id;
  tok->wordpiece = std::move(wp);
  // BertTokenizer and the classes built on it (DistilBERT, ELECTRA, MiniLM) share BERT's template.
  set_template(tok.get(), TemplateStyle::kBert);
  return tok;
}

std::unique_ptr<fb::TokenizerT> read_tokenizer(const std::string& dir, int64_t vocab_limit,
                                               std::vector<std::string>* notes) {
  const nlohmann::json cfg = read_json(dir + "/tokenizer_config.json", true);
  const std::string cls = cfg.value("tokenizer_class", std::string());
  auto starts = [&](const char* prefix) { return cls.rfind(prefix, 0) == 0; };
  const bool bpe_files = file_exists(dir + "/vocab.json") && file_exists(dir + "/merges.txt");
  if ((starts("Roberta") || starts("GPT2")) && bpe_files) return read_bpe(dir, vocab_limit, notes);
  if (starts("T5") && file_exists(dir + "/spiece.model")) return read_sentencepiece(dir, vocab_limit, notes);
  if (file_exists(dir + "/sentencepiece.bpe.model"))
    return read_bert_family_sentencepiece(dir, "sentencepiece.bpe.model", cls.empty() ? "XLMRobertaTokenizer" : cls,
                                          vocab_limit);
  if (starts("Albert") && file_exists(dir + "/spiece.model"))
    return read_bert_family_sentencepiece(dir, "spiece.model", cls, vocab_limit);
  if (file_exists(dir + "/vocab.txt") && (cls.empty() || !bpe_files)) {
    auto tok = read_wordpiece(dir, notes);
    if (tok && int64_t(tok->wordpiece->vocab.size()) > vocab_limit)
      throw ConvertError(dir + "/vocab.txt: " + std::to_string(tok->wordpiece->vocab.size()) +
                         " tokens, more than the model's vocab_size " + std::to_string(vocab_limit));
    return tok;
  }
  if (bpe_files) return read_bpe(dir, vocab_limit, notes);
  if (file_exists(dir + "/spiece.model")) return read_sentencepiece(dir, vocab_limit, notes);
  // Only when no older file is there: those are what the slow tokenizer classes read, and tern
  // reproduces those classes.
  if (file_exists(dir + "/tokenizer.json")) return read_tokenizer_json(dir, vocab_limit, notes);
  notes->push_back("no tokenizer files in " + dir + ": the model will take token ids only");
  return nullptr;
}

}  // namespace tern::convert
