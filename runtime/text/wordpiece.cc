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

Result<size_t> WordPiece::encode(std::string_view a, const std::string_view* b, size_t max_len,
                                 bool truncate, int32_t* ids, int32_t* types) const {
  // First pass counts, so truncation can be decided before anything is written.
  size_t na = 0, nb = 0;
  TERN_RETURN_IF_ERROR(tokenize(a, [&](int32_t) { return ++na, true; }));
  if (b) TERN_RETURN_IF_ERROR(tokenize(*b, [&](int32_t) { return ++nb, true; }));
  const size_t specials = b ? 3 : 2;
  TERN_CHECK_OR_RETURN(max_len >= specials, Code::kInvalidArgument,
                       "max_seq=%zu cannot hold the special tokens", max_len);
  size_t total = na + nb + specials;
  if (total > max_len) {
    TERN_CHECK_OR_RETURN(truncate, Code::kResourceExhausted,
                         "text is %zu tokens, more than the session's max_seq=%zu "
                         "(plan a longer max_seq, or enable truncation)",
                         total, max_len);
    // Hugging Face's longest_first: remove from the longer side first, then alternately.
    size_t remove = total - max_len;
    if (!b) {
      na -= remove;
    } else {
      size_t diff = na > nb ? na - nb : nb - na;
      size_t first = std::min(diff, remove), second = remove - first;
      if (na > nb) {
        na -= first + second / 2;
        nb -= second - second / 2;
      } else {
        na -= second / 2;
        nb -= first + second - second / 2;
      }
    }
  }
  size_t n = 0;
  auto put = [&](int32_t id, int32_t type) { ids[n] = id, types[n] = type, ++n; };
  put(cls_id_, 0);
  size_t left = na;
  TERN_RETURN_IF_ERROR(tokenize(a, [&](int32_t id) { return left ? (put(id, 0), --left > 0) : false; }));
  put(sep_id_, 0);
  if (b) {
    left = nb;
    TERN_RETURN_IF_ERROR(tokenize(*b, [&](int32_t id) { return left ? (put(id, 1), --left > 0) : false; }));
    put(sep_id_, 1);
  }
  return n;
}

std::string WordPiece::decode(const int32_t* ids, size_t count) const {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    std::string_view t = token(ids[i]);
    bool special = ids[i] == unk_id_ || ids[i] == cls_id_ || ids[i] == sep_id_ || ids[i] == pad_id_;
    for (std::string_view s : specials_) special = special || s == t;
    if (special || t.empty()) continue;
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
