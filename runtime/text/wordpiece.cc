#include "text/wordpiece.h"

#include "text/unicode.h"

namespace tern {

Status WordPiece::init(const fb::WordPiece& spec, int model_vocab_size) {
  const auto& vocab = *spec.vocab();
  TERN_CHECK_OR_RETURN(vocab.size() > 0 && int64_t(vocab.size()) <= model_vocab_size,
                       Code::kInvalidModel,
                       "tokenizer: %u vocab entries for a model with vocab_size=%d", vocab.size(),
                       model_vocab_size);
  for (uint32_t i = 0; i < vocab.size(); ++i)
    TERN_CHECK_OR_RETURN(vocab.Get(i) != nullptr, Code::kInvalidModel, "tokenizer: vocab entry %u is missing", i);
  vocab_ = &vocab;
  auto key = [this](int32_t id) { return token(id); };
  if (const auto* slots = spec.vocab_index()) {
    TERN_RETURN_IF_ERROR(index_.init(slots->data(), slots->size(), spec.vocab_index_max_probe(), vocab.size(), "vocab"));
  } else {  // a blob from before format 1.2
    index_.adopt(build_string_index(vocab.size(), key, [](size_t) { return true; }));
  }
  auto check_id = [&](int id, const char* what) {
    return id >= 0 && size_t(id) < vocab_size()
               ? Status()
               : Status::error(Code::kInvalidModel, "tokenizer: %s id %d is outside the vocab of %zu",
                               what, id, vocab_size());
  };
  TERN_RETURN_IF_ERROR(check_id(spec.unk_id(), "unk"));
  TERN_RETURN_IF_ERROR(check_id(spec.cls_id(), "cls"));
  TERN_RETURN_IF_ERROR(check_id(spec.sep_id(), "sep"));
  TERN_RETURN_IF_ERROR(check_id(spec.pad_id(), "pad"));
  TERN_CHECK_OR_RETURN(spec.max_input_chars_per_word() > 0 &&
                           size_t(spec.max_input_chars_per_word()) <= kMaxWordPieceChars,
                       Code::kInvalidModel, "tokenizer: max_input_chars_per_word=%d not in 1..%zu",
                       spec.max_input_chars_per_word(), kMaxWordPieceChars);
  unk_id_ = spec.unk_id();
  cls_id_ = spec.cls_id();
  sep_id_ = spec.sep_id();
  pad_id_ = spec.pad_id();
  lower_ = spec.do_lower_case();
  strip_accents_ = spec.strip_accents();
  split_cjk_ = spec.tokenize_chinese_chars();
  max_word_chars_ = size_t(spec.max_input_chars_per_word());
  if (spec.special_tokens()) {
    for (const auto* s : *spec.special_tokens()) {
      TERN_CHECK_OR_RETURN(s && s->size() > 0 && lookup(std::string_view(s->c_str(), s->size())) >= 0,
                           Code::kInvalidModel, "tokenizer: special token '%s' is not in the vocab",
                           s ? s->c_str() : "");
      specials_.emplace_back(s->c_str(), s->size());
    }
  }
  return Status();
}

int32_t WordPiece::lookup(std::string_view piece) const {
  return index_.find(piece, [this](int32_t id) { return token(id); });
}

std::string_view WordPiece::token(int32_t id) const {
  return id >= 0 && size_t(id) < vocab_size() ? vocab_->Get(uint32_t(id))->string_view() : std::string_view();
}

// BertTokenizer: tokens joined by spaces, " ##" removed; special tokens dropped or kept whole.
std::string WordPiece::decode(const int32_t* ids, size_t count, bool skip_special) const {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    std::string_view t = token(ids[i]);
    bool special = ids[i] == unk_id_ || ids[i] == cls_id_ || ids[i] == sep_id_ || ids[i] == pad_id_;
    for (std::string_view s : specials_) special = special || s == t;
    if ((special && skip_special) || t.empty()) continue;
    if (t.size() > 2 && t.substr(0, 2) == "##" && !text.empty()) {
      text.append(t.substr(2));
    } else {
      if (!text.empty()) text += ' ';
      text.append(t);
    }
  }
  clean_up_tokenization(&text);
  return text;
}

}  // namespace tern
