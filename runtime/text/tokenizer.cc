#include "text/tokenizer.h"

#include <algorithm>

namespace tern {

Status Tokenizer::init(const fb::Tokenizer& spec, int model_vocab_size) {
  if (const fb::WordPiece* wp = spec.wordpiece()) {
    kind_ = Kind::kWordPiece;
    wordpiece_ = std::make_unique<WordPiece>();
    TERN_RETURN_IF_ERROR(wordpiece_->init(*wp, model_vocab_size));
    // What blobs before 1.3 were made for: BertTokenizer.
    special_.pad = wordpiece_->pad_id(), special_.cls = wordpiece_->cls_id(), special_.sep = wordpiece_->sep_id();
    special_.unk = wordpiece_->unk_id(), special_.mask = wordpiece_->lookup("[MASK]");
    single_ = {{special_.cls, 0}, {kTextA, 0}, {special_.sep, 0}};
    pair_ = {{special_.cls, 0}, {kTextA, 0}, {special_.sep, 0}, {kTextB, 1}, {special_.sep, 1}};
  } else if (const fb::SentencePiece* sp = spec.sentencepiece()) {
    kind_ = Kind::kSentencePiece;
    sentencepiece_ = std::make_unique<SentencePiece>();
    TERN_RETURN_IF_ERROR(sentencepiece_->init(*sp, model_vocab_size));
    // What blobs before 1.3 were made for: T5Tokenizer.
    special_.pad = sentencepiece_->pad_id(), special_.sep = sentencepiece_->eos_id();
    special_.unk = sentencepiece_->unk_id();
    single_ = {{kTextA, 0}, {special_.sep, 0}};
    pair_ = {{kTextA, 0}, {special_.sep, 0}, {kTextB, 0}, {special_.sep, 0}};
    eos_if_absent_ = true;
  } else if (const fb::BytePairEncoding* bpe = spec.bpe()) {
    kind_ = Kind::kBpe;  // new in 1.3: the blob always has its template (none: GPT2Tokenizer's)
    bpe_ = std::make_unique<Bpe>();
    TERN_RETURN_IF_ERROR(bpe_->init(*bpe, model_vocab_size));
    single_ = {{kTextA, 0}};
    pair_ = {{kTextA, 0}, {kTextB, 0}};
  } else {
    return Status::error(Code::kUnsupported, "tokenizer: of a kind this runtime does not know (upgrade tern)");
  }
  return set_template(spec, model_vocab_size);
}

// A 1.3 blob says its special ids and template; each id is checked against the model's vocab and
// each template against its shape (one first text; a pair's second text after it).
Status Tokenizer::set_template(const fb::Tokenizer& spec, int model_vocab_size) {
  const fb::PostProcessor* pp = spec.post_processor();
  if (!pp) return Status();
  const std::pair<const char*, int32_t> ids[] = {{"pad", spec.pad_id()}, {"cls", spec.cls_id()},
                                                 {"sep", spec.sep_id()}, {"unk", spec.unk_id()},
                                                 {"mask", spec.mask_id()}};
  for (const auto& [name, id] : ids)
    TERN_CHECK_OR_RETURN(id >= -1 && id < model_vocab_size, Code::kInvalidModel,
                         "tokenizer: %s id %d is outside the model's vocab of %d", name, id, model_vocab_size);
  special_ = SpecialIds{spec.pad_id(), spec.cls_id(), spec.sep_id(), spec.unk_id(), spec.mask_id()};
  auto read = [&](const flatbuffers::Vector<const fb::TemplatePiece*>& v, bool pair, std::vector<Piece>* out) {
    int a = 0, b = 0;
    out->clear();
    for (const fb::TemplatePiece* p : v) {
      TERN_CHECK_OR_RETURN((p->id() >= kTextB && p->id() < model_vocab_size) && p->type_id() >= 0 && p->type_id() < 256,
                           Code::kInvalidModel, "tokenizer: template entry (%d, type %d) is not a text, a token id "
                           "below %d, or has a bad type id", p->id(), p->type_id(), model_vocab_size);
      a += p->id() == kTextA;
      b += p->id() == kTextB;
      TERN_CHECK_OR_RETURN(p->id() != kTextB || a == 1, Code::kInvalidModel,
                           "tokenizer: the pair template has the second text before the first");
      out->push_back(Piece{p->id(), p->type_id()});
    }
    TERN_CHECK_OR_RETURN(a == 1 && b == (pair ? 1 : 0), Code::kInvalidModel,
                         "tokenizer: the %s template holds %d first and %d second texts", pair ? "pair" : "single", a, b);
    return Status();
  };
  TERN_RETURN_IF_ERROR(read(*pp->single(), false, &single_));
  TERN_RETURN_IF_ERROR(read(*pp->pair(), true, &pair_));
  eos_if_absent_ = pp->eos_if_absent();
  return Status();
}

const char* Tokenizer::kind_name() const {
  switch (kind_) {
    case Kind::kWordPiece: return "wordpiece";
    case Kind::kSentencePiece: return "sentencepiece unigram";
    case Kind::kBpe: return "byte-level bpe";
  }
  return "?";
}

size_t Tokenizer::scratch_bytes() const {
  switch (kind_) {
    case Kind::kWordPiece: return 0;
    case Kind::kSentencePiece: return SentencePiece::scratch_bytes(SentencePiece::kWindowBytes);
    case Kind::kBpe: return Bpe::scratch_bytes();
  }
  return 0;
}

Status Tokenizer::tokenize(std::string_view text, uint8_t* scratch, TokenSink emit) const {
  switch (kind_) {
    case Kind::kWordPiece: return wordpiece_->tokenize(text, emit);
    case Kind::kSentencePiece:
      return sentencepiece_->tokenize(text, SentencePiece::Scratch{scratch, SentencePiece::kWindowBytes}, emit);
    case Kind::kBpe: return bpe_->tokenize(text, scratch, emit);
  }
  return Status::error(Code::kUnsupported, "tokenizer: unknown kind");
}

std::string Tokenizer::decode(const int32_t* ids, size_t count, bool skip_special) const {
  switch (kind_) {
    case Kind::kWordPiece: return wordpiece_->decode(ids, count, skip_special);
    case Kind::kSentencePiece: return sentencepiece_->decode(ids, count, skip_special);
    case Kind::kBpe: return bpe_->decode(ids, count, skip_special);
  }
  return std::string();
}

std::string_view Tokenizer::token(int32_t id) const {
  switch (kind_) {
    case Kind::kWordPiece: return wordpiece_->token(id);
    case Kind::kSentencePiece: return sentencepiece_->token_text(id);
    case Kind::kBpe: return bpe_->token_text(id);
  }
  return std::string_view();
}

Result<Encoded> Tokenizer::encode(std::string_view a, const std::string_view* b, uint8_t* scratch, bool truncate,
                                  const EncodeOutput& out) const {
  const std::vector<Piece>& tpl = b ? pair_ : single_;
  size_t specials = 0;
  for (const Piece& p : tpl) specials += p.id >= 0;
  TERN_CHECK_OR_RETURN(out.capacity >= specials, Code::kInvalidArgument,
                       "max_seq=%zu cannot hold the %zu special tokens", out.capacity, specials);
  const size_t room = out.capacity - specials;
  // How many tokens of each text to keep. One text streams: it stops being read once it is known
  // not to fit. A pair is counted first, so that truncation can take from the longer side.
  size_t keep_a = room, keep_b = 0;
  if (b) {
    size_t na = 0, nb = 0;
    auto count_a = [&](int32_t, uint32_t, uint32_t) { return ++na, true; };
    auto count_b = [&](int32_t, uint32_t, uint32_t) { return ++nb, true; };
    TERN_RETURN_IF_ERROR(tokenize(a, scratch, TokenSink(count_a)));
    TERN_RETURN_IF_ERROR(tokenize(*b, scratch, TokenSink(count_b)));
    if (na + nb > room) {
      TERN_CHECK_OR_RETURN(truncate, Code::kResourceExhausted,
                           "texts are %zu tokens, more than the session's max_seq=%zu "
                           "(plan a longer max_seq, or enable truncation)", na + nb + specials, out.capacity);
      // Hugging Face's longest_first: remove from the longer side first, then alternately.
      const size_t remove = na + nb - room;
      const size_t diff = na > nb ? na - nb : nb - na;
      const size_t first = std::min(diff, remove), second = remove - first;
      if (na > nb) {
        na -= first + second / 2;
        nb -= second - second / 2;
      } else {
        na -= second / 2;
        nb -= first + second - second / 2;
      }
    }
    keep_a = na, keep_b = nb;
  }
  Encoded e;
  size_t& n = e.length;
  auto put = [&](int32_t id, int32_t type, uint32_t begin, uint32_t end) {
    out.ids[n] = id;
    if (out.type_ids) out.type_ids[n] = type;
    if (out.offsets) out.offsets[n] = TokenOffsets{begin, end};
    ++n;
  };
  bool after_text = false, text_whole = false;  // the previous template entry was a text, not truncated
  e.pair_start = SIZE_MAX;
  for (const Piece& p : tpl) {
    if (p.id >= 0) {
      // T5Tokenizer's _add_eos_if_not_present.
      const bool present = eos_if_absent_ && after_text && text_whole && n > 0 && out.ids[n - 1] == p.id;
      if (!present) put(p.id, p.type_id, 0, 0);
      after_text = false;
      continue;
    }
    if (p.id == kTextB) e.pair_start = n;
    const size_t limit = p.id == kTextA ? keep_a : keep_b;
    const size_t start = n;
    size_t seen = 0;
    auto sink = [&](int32_t id, uint32_t begin, uint32_t end) {
      if (seen < limit) put(id, p.type_id, begin, end);
      return ++seen <= limit;
    };
    TERN_RETURN_IF_ERROR(tokenize(p.id == kTextA ? a : *b, scratch, TokenSink(sink)));
    TERN_CHECK_OR_RETURN(seen <= limit || truncate || b, Code::kResourceExhausted,
                         "text is more than the session's max_seq=%zu tokens (plan a longer max_seq, or enable "
                         "truncation)", out.capacity);
    after_text = n > start;
    text_whole = seen <= limit;
  }
  if (e.pair_start == SIZE_MAX) e.pair_start = n;
  return e;
}

}  // namespace tern
