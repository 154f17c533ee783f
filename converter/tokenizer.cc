#include "tokenizer.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoint.h"
#include "json_fields.h"
#include "text/string_index.h"

namespace tern::convert {
namespace {

// A special token is a string or {"content": ...} (AddedToken); `what` names the file and field.
std::string token_text(const nlohmann::json& v, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) return JsonFields(v, what).string_or("content", "");
  return "";
}

}  // namespace

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
  } else {
    pp->single = {{a, 0}, {sep, 0}};
    pp->pair = {{a, 0}, {sep, 0}, {b, 0}, {sep, 0}};
    pp->eos_if_absent = true;
  }
  if (sep < 0 || (style != TemplateStyle::kT5 && cls < 0))
    throw ConvertError("tokenizer: the template needs cls and sep (or eos) tokens the tokenizer does not have");
  tok->post_processor = std::move(pp);
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
  // The runtime's token -> id index, laid out here so that loading builds nothing.
  StringIndexTable index = build_string_index(
      wp->vocab.size(), [&](int32_t id) { return std::string_view(wp->vocab[size_t(id)]); },
      [](size_t) { return true; });
  wp->vocab_index = std::move(index.slots);
  wp->vocab_index_max_probe = index.max_probe;
  auto tok = std::make_unique<fb::TokenizerT>();
  tok->pad_id = wp->pad_id, tok->cls_id = wp->cls_id, tok->sep_id = wp->sep_id, tok->unk_id = wp->unk_id;
  tok->mask_id = mask_id;
  tok->wordpiece = std::move(wp);
  // BertTokenizer and the classes built on it (DistilBERT, ELECTRA, MiniLM) share BERT's template.
  set_template(tok.get(), TemplateStyle::kBert);
  return tok;
}

}  // namespace tern::convert
