// tokenizer.json (Hugging Face `tokenizers`' serialization) -> the blob's tokenizer table: the same
// WordPiece, byte-level BPE or SentencePiece unigram tables the older files give. A component or
// option tern does not reproduce exactly is refused, naming the file, the field and the value: a
// tokenizer that silently splits differently gives wrong answers with no error anywhere.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoint.h"
#include "json_fields.h"
#include "text/string_index.h"
#include "tokenizer.h"

namespace tern::convert {
namespace {

constexpr const char* kMetaspace = "\xe2\x96\x81";  // U+2581, SentencePiece's escaped space
constexpr int32_t kTextA = -1, kTextB = -2;       // the runtime's template markers

const nlohmann::json& member(const JsonFields& f, const std::string& key) {
  static const nlohmann::json kNull;
  return f.json().contains(key) ? f.json()[key] : kNull;
}

std::string shown(const nlohmann::json& v) {
  std::string s = v.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

[[noreturn]] void refuse(const std::string& field, const nlohmann::json& v, const std::string& why) {
  throw ConvertError(field + " is " + shown(v) + ", " + why);
}

// A component's "type"; `allowed` lists what tern reproduces, for the message.
std::string component_type(const JsonFields& f, const std::string& allowed) {
  const nlohmann::json& t = member(f, "type");
  if (!t.is_string()) refuse(f.field("type"), t, "must be " + allowed);
  return t.get<std::string>();
}

// An option whose only value tern implements (`want`; absent or null counts as `absent_ok`).
void require_value(const JsonFields& f, const std::string& key, const nlohmann::json& want, bool absent_ok,
                   const std::string& why) {
  const nlohmann::json& v = member(f, key);
  if (v.is_null() ? !absent_ok : v != want) refuse(f.field(key), v, why);
}

struct Added {
  std::vector<std::unique_ptr<fb::AddedTokenT>> tokens;
  std::vector<bool> normalized;  // matched in the normalized text: tern matches the raw text only
};

Added read_added(const JsonFields& top) {
  Added out;
  const nlohmann::json& list = json_array(member(top, "added_tokens"), top.field("added_tokens"), true);
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonFields t(list[i], top.where() + ": added_tokens[" + std::to_string(i) + "]");
    auto a = std::make_unique<fb::AddedTokenT>();
    a->id = t.integer<int32_t>("id", 0);
    a->content = t.string_or("content", "");
    if (a->content.empty()) refuse(t.field("content"), member(t, "content"), "must be a non-empty string");
    a->lstrip = t.boolean_or("lstrip", false);
    a->rstrip = t.boolean_or("rstrip", false);
    a->special = t.boolean_or("special", false);
    // single_word: matched only between word boundaries, which tern's matcher does not check.
    require_value(t, "single_word", false, true, "tern matches added tokens anywhere (single_word is not supported)");
    out.normalized.push_back(t.boolean_or("normalized", !a->special));
    out.tokens.push_back(std::move(a));
  }
  return out;
}

// Added tokens matched in normalized text cannot be reproduced where a normalizer changes the text.
void require_raw_added(const Added& added, const JsonFields& top) {
  for (size_t i = 0; i < added.tokens.size(); ++i)
    if (added.normalized[i])
      refuse(top.where() + ": added_tokens[" + std::to_string(i) + "].normalized", true,
             "tern matches added tokens in the raw text, not after the normalizer");
}

// post_processor -> the blob's template; fills the cls and sep ids the configs did not name.
std::unique_ptr<fb::PostProcessorT> read_post_processor(const JsonFields& top, fb::TokenizerT* tok) {
  auto pp = std::make_unique<fb::PostProcessorT>();
  if (!top.has("post_processor")) {  // no special tokens at all
    pp->single = {{kTextA, 0}};
    pp->pair = {{kTextA, 0}, {kTextB, 0}};
    return pp;
  }
  const JsonFields p = top.object_or_empty("post_processor");
  const std::string type = component_type(p, "TemplateProcessing, BertProcessing, RobertaProcessing or ByteLevel");
  auto pair_id = [&](const char* key) {  // ["[CLS]", 101]
    const nlohmann::json& v = member(p, key);
    if (!v.is_array() || v.size() != 2) refuse(p.field(key), v, "must be [token, id]");
    json_string(v[0], p.field(key) + "[0]");
    return int32_t(json_int(v[1], p.field(key) + "[1]", 0, std::numeric_limits<int32_t>::max()));
  };
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const int32_t cls = pair_id("cls"), sep = pair_id("sep");
    if (tok->cls_id < 0) tok->cls_id = cls;
    if (tok->sep_id < 0) tok->sep_id = sep;
    pp->single = {{cls, 0}, {kTextA, 0}, {sep, 0}};
    if (type == "BertProcessing") pp->pair = {{cls, 0}, {kTextA, 0}, {sep, 0}, {kTextB, 1}, {sep, 1}};
    else pp->pair = {{cls, 0}, {kTextA, 0}, {sep, 0}, {sep, 0}, {kTextB, 0}, {sep, 0}};
    return pp;  // trim_offsets / add_prefix_space change offsets only
  }
  if (type == "ByteLevel") {  // trims offsets, adds nothing
    pp->single = {{kTextA, 0}};
    pp->pair = {{kTextA, 0}, {kTextB, 0}};
    return pp;
  }
  if (type != "TemplateProcessing")
    refuse(p.field("type"), type, "must be TemplateProcessing, BertProcessing, RobertaProcessing or ByteLevel");
  const JsonFields specials = p.object_or_empty("special_tokens");
  auto pieces = [&](const char* key, bool pair) {
    std::vector<fb::TemplatePiece> out;
    const nlohmann::json& list = json_array(member(p, key), p.field(key));
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = p.where() + "." + key + "[" + std::to_string(i) + "]";
      const JsonFields item(list[i], where);
      if (item.has("Sequence")) {
        const JsonFields s = item.object_or_empty("Sequence");
        const std::string id = s.string_or("id", "");
        if (id != "A" && !(pair && id == "B")) refuse(s.field("id"), member(s, "id"), pair ? "must be A or B" : "must be A");
        out.emplace_back(id == "A" ? kTextA : kTextB, s.integer<int32_t>("type_id", 0, 255));
      } else if (item.has("SpecialToken")) {
        const JsonFields s = item.object_or_empty("SpecialToken");
        const std::string name = s.string_or("id", "");
        const int32_t type_id = s.integer<int32_t>("type_id", 0, 255);
        if (!specials.has(name)) refuse(s.field("id"), name, "is not in " + specials.where());
        const JsonFields sp = specials.object_or_empty(name);
        const nlohmann::json& ids = json_array(member(sp, "ids"), sp.field("ids"));
        for (size_t k = 0; k < ids.size(); ++k)
          out.emplace_back(int32_t(json_int(ids[k], sp.field("ids") + "[" + std::to_string(k) + "]", 0,
                                            std::numeric_limits<int32_t>::max())),
                           type_id);
      } else {
        refuse(where, list[i], "must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
    return out;
  };
  pp->single = pieces("single", false);
  pp->pair = pieces("pair", true);
  // Without configs naming them, the template's first special tokens around $A are cls and sep.
  for (size_t i = 0; i < pp->single.size(); ++i) {
    const int32_t id = pp->single[i].id();
    if (id < 0) continue;
    const bool before_text = i + 1 < pp->single.size() && pp->single[i + 1].id() == kTextA;
    if (before_text && tok->cls_id < 0) tok->cls_id = id;
    if (!before_text && tok->sep_id < 0) tok->sep_id = id;
  }
  return pp;
}

// A token -> id object as an id -> token list; gaps are refused where `dense` (WordPiece's ids are
// its vocab.txt lines).
std::vector<std::string> vocab_by_id(const JsonFields& model, int64_t vocab_limit, bool dense) {
  const JsonFields vocab = model.object_or_empty("vocab");
  std::vector<std::string> out;
  for (auto& [token, id] : vocab.json().items()) {
    const int64_t i = json_int(id, vocab.field(token), 0, vocab_limit - 1);
    if (size_t(i) >= out.size()) out.resize(size_t(i) + 1);
    if (!out[size_t(i)].empty()) refuse(vocab.field(token), id, "an id given to two tokens");
    out[size_t(i)] = token;
  }
  if (out.empty()) refuse(model.field("vocab"), vocab.json(), "must hold the tokens");
  if (dense)
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i].empty()) refuse(model.field("vocab"), "{...}", "has no token with id " + std::to_string(i));
  return out;
}

std::unique_ptr<fb::TokenizerT> read_wordpiece_json(const JsonFields& top, const JsonFields& model, Added added,
                                                    int64_t vocab_limit, std::unique_ptr<fb::TokenizerT> tok) {
  auto wp = std::make_unique<fb::WordPieceT>();
  wp->vocab = vocab_by_id(model, vocab_limit, true);
  require_value(model, "continuing_subword_prefix", "##", true, "tern's WordPiece continues words with ##");
  wp->max_input_chars_per_word = model.integer_or<int32_t>("max_input_chars_per_word", 100, 1);
  const std::string unk = model.string_or("unk_token", "[UNK]");
  const auto unk_at = std::find(wp->vocab.begin(), wp->vocab.end(), unk);
  if (unk_at == wp->vocab.end()) refuse(model.field("unk_token"), unk, "is not in the vocab");
  wp->unk_id = int32_t(unk_at - wp->vocab.begin());

  const JsonFields norm = top.object_or_empty("normalizer");
  if (component_type(norm, "BertNormalizer") != "BertNormalizer")
    refuse(norm.field("type"), member(norm, "type"), "must be BertNormalizer for a WordPiece model");
  // BertTokenizer always cleans the text (control characters removed, whitespace to spaces).
  require_value(norm, "clean_text", true, true, "tern always cleans text as BertTokenizer does");
  wp->do_lower_case = norm.boolean_or("lowercase", true);
  wp->strip_accents = norm.boolean_or("strip_accents", wp->do_lower_case);  // null: as lowercase
  wp->tokenize_chinese_chars = norm.boolean_or("handle_chinese_chars", true);
  const JsonFields pre = top.object_or_empty("pre_tokenizer");
  if (component_type(pre, "BertPreTokenizer") != "BertPreTokenizer")
    refuse(pre.field("type"), member(pre, "type"), "must be BertPreTokenizer for a WordPiece model");
  if (top.has("decoder")) {
    const JsonFields dec = top.object_or_empty("decoder");
    if (component_type(dec, "WordPiece") != "WordPiece") refuse(dec.field("type"), member(dec, "type"), "must be WordPiece");
    require_value(dec, "prefix", "##", true, "tern decodes WordPiece with the ## prefix");
    require_value(dec, "cleanup", true, true, "tern decodes with BertTokenizer's clean-up");
  }
  // WordPiece's added tokens are split off verbatim, before the normalizer, never stripped.
  require_raw_added(added, top);
  std::set<std::string> specials;
  for (size_t i = 0; i < added.tokens.size(); ++i) {
    const auto& a = added.tokens[i];
    if (a->lstrip || a->rstrip)
      refuse(top.where() + ": added_tokens[" + std::to_string(i) + "]", a->content,
             "lstrip/rstrip are not supported with WordPiece");
    if (a->id >= int32_t(wp->vocab.size()) || wp->vocab[size_t(a->id)] != a->content)
      refuse(top.where() + ": added_tokens[" + std::to_string(i) + "].id", a->id,
             "not the id of '" + a->content + "' in model.vocab (tern's WordPiece adds no tokens)");
    specials.insert(a->content);
  }
  wp->special_tokens.assign(specials.begin(), specials.end());
  index_wordpiece_vocab(wp.get());
  if (tok->unk_id < 0) tok->unk_id = wp->unk_id;
  wp->cls_id = tok->cls_id, wp->sep_id = tok->sep_id, wp->pad_id = tok->pad_id;
  tok->wordpiece = std::move(wp);
  return tok;
}

std::unique_ptr<fb::TokenizerT> read_bpe_json(const JsonFields& top, const JsonFields& model, Added added,
                                              int64_t vocab_limit, std::unique_ptr<fb::TokenizerT> tok) {
  std::vector<std::string> vocab = vocab_by_id(model, vocab_limit, false);
  // Options of tokenizers' BPE that change the split; tern's byte-level BPE has none of them.
  require_value(model, "dropout", nullptr, true, "tern's BPE has no dropout");
  require_value(model, "unk_token", nullptr, true, "a byte-level BPE has no unknown token in tern");
  require_value(model, "continuing_subword_prefix", "", true, "tern's BPE has no continuing-subword prefix");
  require_value(model, "end_of_word_suffix", "", true, "tern's BPE has no end-of-word suffix");
  require_value(model, "byte_fallback", false, true, "tern's BPE has no byte fallback");
  require_value(model, "ignore_merges", false, true, "tern's BPE always merges whole-word tokens too");
  const nlohmann::json& list = json_array(member(model, "merges"), model.field("merges"));
  std::vector<std::pair<std::string, std::string>> merges;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string what = model.field("merges") + "[" + std::to_string(i) + "]";
    if (list[i].is_array() && list[i].size() == 2) {  // ["a", "b"] (tokenizers >= 0.20)
      merges.emplace_back(json_string(list[i][0], what + "[0]"), json_string(list[i][1], what + "[1]"));
      continue;
    }
    const std::string s = json_string(list[i], what);  // "a b"
    const size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 >= s.size() || s.find(' ', space + 1) != std::string::npos)
      refuse(what, list[i], "must be \"a b\" or [a, b]");
    merges.emplace_back(s.substr(0, space), s.substr(space + 1));
  }
  if (top.has("normalizer"))
    refuse(top.field("normalizer"), member(top, "normalizer"), "must be null for a byte-level BPE in tern");
  const JsonFields pre = top.object_or_empty("pre_tokenizer");
  if (component_type(pre, "ByteLevel") != "ByteLevel")
    refuse(pre.field("type"), member(pre, "type"), "must be ByteLevel for a BPE model");
  require_value(pre, "use_regex", true, true, "tern splits with GPT-2's regex");
  if (top.has("decoder")) {
    const JsonFields dec = top.object_or_empty("decoder");
    if (component_type(dec, "ByteLevel") != "ByteLevel") refuse(dec.field("type"), member(dec, "type"), "must be ByteLevel");
  }
  // Without a normalizer, normalized and raw text are the same: added_tokens[].normalized is moot.
  for (const auto& a : added.tokens) {
    if (a->id >= vocab_limit)
      refuse(top.where() + ": added token '" + a->content + "' id", a->id,
             "not below the model's vocab_size " + std::to_string(vocab_limit));
    if (size_t(a->id) >= vocab.size()) vocab.resize(size_t(a->id) + 1);
    if (vocab[size_t(a->id)].empty()) vocab[size_t(a->id)] = a->content;
  }
  auto bpe = bpe_from_vocab_and_merges(std::move(vocab), merges, model.field("merges"));
  bpe->add_prefix_space = pre.boolean_or("add_prefix_space", true);
  bpe->added_tokens = std::move(added.tokens);
  tok->bpe = std::move(bpe);
  return tok;
}

// The normalizer of a unigram tokenizer.json, as the SentencePiece settings tern has. Accepted are
// the sequences transformers' converters write: SpmConverter's (Precompiled, then spaces collapsed,
// with or without Strip(right)) and AlbertConverter's (quotes, NFKD + StripAccents, Lowercase, then
// as SpmConverter's). They stand for the .model's own normalization (nmt charsmap, extra
// whitespace removed) and AlbertTokenizer's preprocessing, which is what tern runs for them.
void read_unigram_normalizer(const JsonFields& top, fb::SentencePieceT* sp, std::vector<std::string>* notes) {
  if (!top.has("normalizer")) return;
  const JsonFields norm = top.object_or_empty("normalizer");
  std::vector<JsonFields> steps;
  const std::string type = component_type(norm, "Sequence or Precompiled");
  if (type == "Sequence") {
    const nlohmann::json& list = json_array(member(norm, "normalizers"), norm.field("normalizers"));
    for (size_t i = 0; i < list.size(); ++i)
      steps.emplace_back(list[i], norm.where() + ".normalizers[" + std::to_string(i) + "]");
  } else {
    steps.push_back(norm);
  }
  size_t i = 0;
  auto is = [&](const char* t) {
    return i < steps.size() && component_type(steps[i], "a normalizer") == t;
  };
  // Replace {String: from} -> to, or Regex.
  auto replaces = [&](const char* kind, const char* from, const std::string& to) {
    if (!is("Replace")) return false;
    const JsonFields pattern = steps[i].object_or_empty("pattern");
    return pattern.string_or(kind, "") == from && steps[i].string_or("content", "") == to;
  };
  if (replaces("String", "``", "\"")) {
    ++i;
    if (!replaces("String", "''", "\"")) refuse(steps[i - 1].where(), steps[i - 1].json(), "must be followed by '' -> \"");
    ++i;
    sp->replace_quotes = true;
    if (is("NFKD")) {
      ++i;
      if (!is("StripAccents")) refuse(steps[i - 1].where(), steps[i - 1].json(), "must be followed by StripAccents");
      ++i;
      sp->strip_accents = true;
    }
    if (is("Lowercase")) ++i, sp->lower_case = true;
  }
  if (is("Precompiled")) {
    const std::string b64 = steps[i].string_or("precompiled_charsmap", "");
    sp->precompiled_charsmap = base64_decode(b64, steps[i].field("precompiled_charsmap"));
    ++i;
  }
  if (!sp->replace_quotes && is("Strip")) {
    if (steps[i].boolean_or("strip_left", true) || !steps[i].boolean_or("strip_right", true))
      refuse(steps[i].where(), steps[i].json(), "only Strip(right) before the space collapse is supported");
    ++i;
  }
  if (replaces("Regex", " {2,}", " ") || replaces("Regex", " {2,}", kMetaspace)) {
    ++i;
    sp->remove_extra_whitespaces = true;
    sp->remove_space = sp->replace_quotes;  // AlbertTokenizer's own collapse and strip
    notes->push_back(top.where() + ": the normalizer's space collapse is run as SentencePiece's " +
                     "remove_extra_whitespaces, as the slow tokenizer does (leading spaces dropped too)");
  }
  if (i < steps.size())
    refuse(steps[i].field("type"), member(steps[i], "type"),
           "tern reproduces only the normalizers transformers writes for SentencePiece models "
           "(Precompiled, Strip(right), space collapse; ALBERT's quotes, NFKD, StripAccents, Lowercase)");
}

std::unique_ptr<fb::TokenizerT> read_unigram_json(const JsonFields& top, const JsonFields& model, Added added,
                                                  int64_t vocab_limit, std::unique_ptr<fb::TokenizerT> tok,
                                                  std::vector<std::string>* notes) {
  auto sp = std::make_unique<fb::SentencePieceT>();
  const nlohmann::json& vocab = json_array(member(model, "vocab"), model.field("vocab"));
  if (vocab.empty() || int64_t(vocab.size()) > vocab_limit)
    refuse(model.field("vocab"), std::to_string(vocab.size()) + " pieces",
           "must be 1.." + std::to_string(vocab_limit) + " (the model's vocab_size)");
  for (size_t i = 0; i < vocab.size(); ++i) {
    const std::string what = model.field("vocab") + "[" + std::to_string(i) + "]";
    if (!vocab[i].is_array() || vocab[i].size() != 2) refuse(what, vocab[i], "must be [piece, score]");
    sp->pieces.push_back(json_string(vocab[i][0], what + "[0]"));
    if (sp->pieces.back().empty()) refuse(what + "[0]", vocab[i][0], "must not be empty");
    sp->scores.push_back(json_float(vocab[i][1], what + "[1]"));
    sp->types.push_back(fb::PieceType::Normal);
  }
  const int32_t n = int32_t(sp->pieces.size());
  sp->unk_id = model.integer<int32_t>("unk_id", 0, n - 1);
  require_value(model, "byte_fallback", false, true, "tern does not support byte_fallback unigram models yet");
  sp->types[size_t(sp->unk_id)] = fb::PieceType::Unknown;
  // Added tokens are matched before the model; those in the vocab are its control (special) or
  // user-defined pieces, which the lattice must not produce from text.
  int64_t size = n;
  for (size_t i = 0; i < added.tokens.size(); ++i) {
    const auto& a = added.tokens[i];
    size = std::max<int64_t>(size, int64_t(a->id) + 1);
    if (a->id < n && a->id != sp->unk_id && sp->pieces[size_t(a->id)] == a->content)
      sp->types[size_t(a->id)] = a->special ? fb::PieceType::Control : fb::PieceType::UserDefined;
  }
  if (size > vocab_limit)
    refuse(top.field("added_tokens"), std::to_string(size) + " ids",
           "more than the model's vocab_size " + std::to_string(vocab_limit));
  sp->vocab_size = int32_t(size);
  read_unigram_normalizer(top, sp.get(), notes);
  if (!sp->precompiled_charsmap.empty() || sp->replace_quotes) require_raw_added(added, top);

  const JsonFields pre = top.object_or_empty("pre_tokenizer");
  if (component_type(pre, "Metaspace") != "Metaspace")
    refuse(pre.field("type"), member(pre, "type"), "must be Metaspace for a Unigram model");
  require_value(pre, "replacement", kMetaspace, false, "tern's SentencePiece escapes spaces as U+2581");
  require_value(pre, "split", true, true, "tern's SentencePiece splits on U+2581 as Metaspace does");
  // prepend_scheme (tokenizers >= 0.14) or the older add_prefix_space. "first": T5Tokenizer's
  // legacy=False, no U+2581 after an added token.
  std::string scheme = pre.boolean_or("add_prefix_space", true) ? "always" : "never";
  if (pre.has("prepend_scheme")) scheme = pre.string_or("prepend_scheme", "");
  if (scheme != "always" && scheme != "first" && scheme != "never")
    refuse(pre.field("prepend_scheme"), member(pre, "prepend_scheme"), "must be always, first or never");
  sp->add_dummy_prefix = scheme != "never";
  sp->legacy = scheme != "first";
  sp->escape_whitespaces = true;
  if (top.has("decoder")) {
    const JsonFields dec = top.object_or_empty("decoder");
    if (component_type(dec, "Metaspace") != "Metaspace") refuse(dec.field("type"), member(dec, "type"), "must be Metaspace");
  }
  sp->eos_id = tok->sep_id >= 0 && tok->sep_id < n ? tok->sep_id : -1;
  sp->pad_id = tok->pad_id >= 0 && tok->pad_id < n ? tok->pad_id : -1;
  if (tok->unk_id < 0) tok->unk_id = sp->unk_id;
  // The runtime's piece -> id index over the pieces text can produce, as for spiece.model.
  StringIndexTable index = build_string_index(
      sp->pieces.size(), [&](int32_t id) { return std::string_view(sp->pieces[size_t(id)]); },
      [&](size_t i) { return sp->types[i] == fb::PieceType::Normal || sp->types[i] == fb::PieceType::UserDefined; });
  sp->piece_index = std::move(index.slots);
  sp->piece_index_max_probe = index.max_probe;
  sp->added_tokens = std::move(added.tokens);
  tok->sentencepiece = std::move(sp);
  return tok;
}

}  // namespace

std::vector<uint8_t> base64_decode(const std::string& text, const std::string& what) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int count = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '='; ++i) {
    const int v = value(text[i]);
    if (v < 0) throw ConvertError(what + ": not base64 (character " + std::to_string(i) + ")");
    bits = (bits << 6) | uint32_t(v);
    if (++count == 4) {
      out.push_back(uint8_t(bits >> 16)), out.push_back(uint8_t(bits >> 8)), out.push_back(uint8_t(bits));
      bits = 0, count = 0;
    }
  }
  const size_t pad = text.size() - i;
  if (count == 1 || pad > 2 || text.find_first_not_of('=', i) != std::string::npos || (count && count + pad != 4))
    throw ConvertError(what + ": not base64 (length or padding)");
  if (count == 2) out.push_back(uint8_t(bits >> 4));
  if (count == 3) out.push_back(uint8_t(bits >> 10)), out.push_back(uint8_t(bits >> 2));
  return out;
}

std::unique_ptr<fb::TokenizerT> read_tokenizer_json(const std::string& dir, int64_t vocab_limit,
                                                    std::vector<std::string>* notes) {
  const std::string path = dir + "/tokenizer.json";
  const nlohmann::json root = read_json(path);
  const JsonFields top(root, path);
  // truncation and padding are not read: transformers sets both from each call's arguments, as
  // tern's encode does.
  const JsonFields model = top.object_or_empty("model");
  const std::string type = component_type(model, "WordPiece, BPE or Unigram");
  if (type != "WordPiece" && type != "BPE" && type != "Unigram")
    refuse(model.field("type"), type, "must be WordPiece, BPE or Unigram");
  Added added = read_added(top);
  // Special ids by their text in the configs beside it, as for the older files; the template's
  // tokens where the configs do not name them.
  const nlohmann::json cfg = read_json(dir + "/tokenizer_config.json", true);
  const nlohmann::json special_map = read_json(dir + "/special_tokens_map.json", true);
  auto tok = std::make_unique<fb::TokenizerT>();
  set_special_ids(tok.get(), cfg, special_map, added.tokens);
  tok->post_processor = read_post_processor(top, tok.get());
  if (type == "WordPiece") return read_wordpiece_json(top, model, std::move(added), vocab_limit, std::move(tok));
  if (type == "BPE") return read_bpe_json(top, model, std::move(added), vocab_limit, std::move(tok));
  return read_unigram_json(top, model, std::move(added), vocab_limit, std::move(tok), notes);
}

}  // namespace tern::convert
