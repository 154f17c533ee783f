// spiece.model (a SentencePiece ModelProto) read with a minimal protobuf wire-format decoder, so
// neither the converter nor the device needs protobuf. Only the fields tern uses are read; the
// rest are skipped by wire type.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "json_fields.h"
#include "text/string_index.h"
#include "tokenizer.h"

namespace tern::convert {
namespace {

class Wire {
 public:
  Wire(const std::string& bytes, std::string what) : p_(bytes.data()), end_(bytes.data() + bytes.size()), what_(std::move(what)) {}
  bool done() const { return p_ >= end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) fail();
      uint8_t b = uint8_t(*p_++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail();
  }
  // Next field: number and wire type.
  void key(uint32_t* field, uint32_t* type) {
    uint64_t k = varint();
    *field = uint32_t(k >> 3);
    *type = uint32_t(k & 7);
  }
  std::string bytes() {
    uint64_t n = varint();
    if (n > uint64_t(end_ - p_)) fail();
    std::string s(p_, size_t(n));
    p_ += n;
    return s;
  }
  float fixed32() {
    if (end_ - p_ < 4) fail();
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }
  void skip(uint32_t type) {
    switch (type) {
      case 0: varint(); break;
      case 1: advance(8); break;
      case 2: bytes(); break;
      case 5: advance(4); break;
      default: fail();
    }
  }

 private:
  void advance(size_t n) {
    if (size_t(end_ - p_) < n) fail();
    p_ += n;
  }
  [[noreturn]] void fail() { throw ConvertError(what_ + ": corrupt SentencePiece model"); }
  const char* p_;
  const char* end_;
  std::string what_;
};

void read_piece(const std::string& msg, const std::string& what, fb::SentencePieceT* sp) {
  Wire w(msg, what);
  std::string piece;
  float score = 0;
  int type = 1;  // NORMAL
  while (!w.done()) {
    uint32_t f, t;
    w.key(&f, &t);
    if (f == 1 && t == 2) piece = w.bytes();
    else if (f == 2 && t == 5) score = w.fixed32();
    else if (f == 3 && t == 0) type = int(w.varint());
    else w.skip(t);
  }
  if (type < 1 || type > 6) throw ConvertError(what + ": piece '" + piece + "' has unknown type " + std::to_string(type));
  sp->pieces.push_back(piece);
  sp->scores.push_back(score);
  sp->types.push_back(fb::PieceType(type));
}

void read_trainer(const std::string& msg, const std::string& what, fb::SentencePieceT* sp) {
  Wire w(msg, what);
  int model_type = 1;
  while (!w.done()) {
    uint32_t f, t;
    w.key(&f, &t);
    if (t != 0) { w.skip(t); continue; }
    uint64_t v = w.varint();
    switch (f) {
      case 3: model_type = int(v); break;
      case 24: if (v) throw ConvertError(what + ": treat_whitespace_as_suffix is not supported"); break;
      case 35: sp->byte_fallback = v != 0; break;
      case 40: sp->unk_id = int32_t(v); break;
      case 42: sp->eos_id = int32_t(v); break;
      case 43: sp->pad_id = int32_t(v); break;
      default: break;
    }
  }
  if (model_type != 1) throw ConvertError(what + ": only unigram SentencePiece models are supported (model_type " + std::to_string(model_type) + ")");
}

void read_normalizer(const std::string& msg, const std::string& what, fb::SentencePieceT* sp) {
  Wire w(msg, what);
  while (!w.done()) {
    uint32_t f, t;
    w.key(&f, &t);
    if (f == 2 && t == 2) {
      std::string m = w.bytes();
      sp->precompiled_charsmap.assign(m.begin(), m.end());
    } else if (f >= 3 && f <= 5 && t == 0) {
      bool v = w.varint() != 0;
      (f == 3 ? sp->add_dummy_prefix : f == 4 ? sp->remove_extra_whitespaces : sp->escape_whitespaces) = v;
    } else {
      w.skip(t);
    }
  }
}

// The ModelProto's pieces, normalizer and special piece ids, and the piece index; `path` names the
// bytes in errors.
std::unique_ptr<fb::SentencePieceT> read_model_proto(const std::string& bytes, const std::string& path) {
  auto sp = std::make_unique<fb::SentencePieceT>();
  // proto2 defaults of NormalizerSpec and TrainerSpec.
  sp->add_dummy_prefix = sp->remove_extra_whitespaces = sp->escape_whitespaces = true;
  sp->unk_id = 0;
  sp->eos_id = 2;
  sp->pad_id = -1;
  Wire w(bytes, path);
  while (!w.done()) {
    uint32_t f, t;
    w.key(&f, &t);
    if (t != 2) { w.skip(t); continue; }
    std::string msg = w.bytes();
    if (f == 1) read_piece(msg, path, sp.get());
    else if (f == 2) read_trainer(msg, path, sp.get());
    else if (f == 3) read_normalizer(msg, path, sp.get());
  }
  const int pieces = int(sp->pieces.size());
  if (pieces == 0) throw ConvertError(path + ": no pieces");
  if (sp->unk_id < 0 || sp->unk_id >= pieces || sp->eos_id >= pieces || sp->pad_id >= pieces)
    throw ConvertError(path + ": a special id (unk, eos, pad) is outside the pieces");
  // The runtime's piece -> id index, laid out here so that loading builds nothing.
  StringIndexTable index = build_string_index(
      sp->pieces.size(), [&](int32_t id) { return std::string_view(sp->pieces[size_t(id)]); },
      [&](size_t i) {
        const fb::PieceType t = sp->types[i];
        return t == fb::PieceType::Normal || t == fb::PieceType::UserDefined || t == fb::PieceType::Unused;
      });
  sp->piece_index = std::move(index.slots);
  sp->piece_index_max_probe = index.max_probe;
  return sp;
}

}  // namespace

std::unique_ptr<fb::TokenizerT> read_sentencepiece(const std::string& dir, int64_t vocab_limit,
                                                   std::vector<std::string>* notes) {
  const std::string path = dir + "/spiece.model";
  if (!file_exists(path)) {
    notes->push_back("no spiece.model in " + dir + ": the model will take token ids only");
    return nullptr;
  }
  return sentencepiece_tokenizer(read_text_file(path), read_json(dir + "/tokenizer_config.json", true), vocab_limit,
                                 dir);
}

std::unique_ptr<fb::TokenizerT> sentencepiece_tokenizer(const std::string& model_bytes, const nlohmann::json& cfg_json,
                                                        int64_t vocab_limit, const std::string& dir) {
  const std::string path = dir + "/spiece.model";
  auto sp = read_model_proto(model_bytes, path);
  const int pieces = int(sp->pieces.size());
  if (sp->eos_id < 0) throw ConvertError(path + ": T5Tokenizer needs an eos piece");

  // Hugging Face's T5Tokenizer: extra ids after the pieces (<extra_id_0> is the last id), added
  // tokens matched verbatim before SentencePiece runs.
  const std::string cfg_path = dir + "/tokenizer_config.json";
  const JsonFields cfg(cfg_json, cfg_path);
  sp->legacy = cfg.boolean_or("legacy", true);
  // Checked before anything is built from it: 2e9 extra ids used to be allocated one by one, and
  // pieces + extra_ids overflowed int at INT_MAX. Read in full range here, for the message below.
  const int64_t extra = cfg.integer_or<int64_t>("extra_ids", 100);
  if (pieces > vocab_limit)
    throw ConvertError(path + ": " + std::to_string(pieces) + " pieces, more than the model's vocab_size " +
                       std::to_string(vocab_limit));
  if (extra < 0 || extra > vocab_limit - pieces)
    throw ConvertError(dir + "/tokenizer_config.json: extra_ids=" + std::to_string(extra) + " is not in 0.." +
                       std::to_string(std::max<int64_t>(0, vocab_limit - pieces)) + " (" + std::to_string(pieces) +
                       " pieces in spiece.model, the model's vocab_size is " + std::to_string(vocab_limit) + ")");
  const int extra_ids = int(extra);
  sp->vocab_size = pieces + extra_ids;
  if (cfg.has("added_tokens_decoder")) {
    const JsonFields added = cfg.object_or_empty("added_tokens_decoder");
    for (auto& [id, tok] : added.json().items()) {
      const JsonFields fields(tok, added.where() + "." + id);
      auto a = std::make_unique<fb::AddedTokenT>();
      a->id = int32_t(json_id_key(id, added.where(), 0, sp->vocab_size - 1));
      a->content = fields.string_or("content", "");
      a->lstrip = fields.boolean_or("lstrip", false);
      a->rstrip = fields.boolean_or("rstrip", false);
      a->special = fields.boolean_or("special", true);
      if (a->content.empty()) throw ConvertError(fields.field("content") + " is missing or empty");
      sp->added_tokens.push_back(std::move(a));
    }
  } else {  // older configs: the defaults T5Tokenizer builds itself
    auto add = [&](const std::string& content, int id, bool strip) {
      auto a = std::make_unique<fb::AddedTokenT>();
      a->content = content;
      a->id = id;
      a->lstrip = a->rstrip = strip;
      a->special = true;
      sp->added_tokens.push_back(std::move(a));
    };
    if (sp->pad_id >= 0) add(sp->pieces[size_t(sp->pad_id)], sp->pad_id, false);
    add(sp->pieces[size_t(sp->eos_id)], sp->eos_id, false);
    add(sp->pieces[size_t(sp->unk_id)], sp->unk_id, false);
    for (int i = 0; i < extra_ids; ++i) add("<extra_id_" + std::to_string(i) + ">", sp->vocab_size - 1 - i, true);
  }
  auto tok = std::make_unique<fb::TokenizerT>();
  tok->pad_id = sp->pad_id, tok->sep_id = sp->eos_id, tok->unk_id = sp->unk_id;
  tok->sentencepiece = std::move(sp);
  set_template(tok.get(), TemplateStyle::kT5);
  return tok;
}

// XLMRobertaTokenizer (sentencepiece.bpe.model) and AlbertTokenizer (spiece.model): the pieces
// under the class's ids, its added tokens (matched first), preprocessing, decoding and template.
std::unique_ptr<fb::TokenizerT> read_bert_family_sentencepiece(const std::string& dir, const std::string& file,
                                                               const std::string& cls, int64_t vocab_limit) {
  const std::string path = dir + "/" + file;
  auto sp = read_model_proto(read_text_file(path), path);
  const int64_t pieces = int64_t(sp->pieces.size());
  const nlohmann::json cfg = read_json(dir + "/tokenizer_config.json", true);
  const nlohmann::json special_map = read_json(dir + "/special_tokens_map.json", true);
  const bool xlmr = cls.rfind("XLMRoberta", 0) == 0;
  // The class's vocabulary as a token -> id object, for configs without added_tokens_decoder.
  nlohmann::json vocab = nlohmann::json::object();
  if (xlmr) {
    // fairseq: <s> 0, <pad> 1, </s> 2, <unk> 3, piece p at p + 1, <mask> after the pieces.
    sp->id_offset = 1;
    vocab["<s>"] = 0, vocab["<pad>"] = 1, vocab["</s>"] = 2, vocab["<unk>"] = 3, vocab["<mask>"] = pieces + 1;
    sp->unk_token_id = 3;
    sp->concat_decode = true;
  } else {
    for (int64_t i = 0; i < pieces; ++i) vocab[sp->pieces[size_t(i)]] = i;
    sp->remove_space = cfg.value("remove_space", true);
    sp->replace_quotes = true;
    sp->strip_accents = !cfg.value("keep_accents", false);
    sp->lower_case = cfg.value("do_lower_case", true);
  }
  auto added = read_added_tokens(cfg, special_map, vocab, dir);
  int64_t size = pieces + sp->id_offset;
  for (const auto& a : added) size = std::max<int64_t>(size, int64_t(a->id) + 1);
  if (size > vocab_limit)
    throw ConvertError(path + ": " + std::to_string(size) + " ids, more than the model's vocab_size " +
                       std::to_string(vocab_limit));
  sp->vocab_size = int32_t(size);
  auto tok = std::make_unique<fb::TokenizerT>();
  set_special_ids(tok.get(), cfg, special_map, added);
  sp->added_tokens = std::move(added);
  tok->sentencepiece = std::move(sp);
  set_template(tok.get(), xlmr ? TemplateStyle::kRoberta : TemplateStyle::kBert);
  return tok;
}

}  // namespace tern::convert
