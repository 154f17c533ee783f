#include "text/bpe.h"

#include <algorithm>
#include <cstring>

#include "text/unicode.h"

namespace tern {

namespace {

bool printable_latin1(uint32_t b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

// The `regex` module's \s for str patterns: Unicode's White_Space property (not str.isspace(),
// which also has U+001C..U+001F).
bool regex_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

enum Category { kSpaceCat, kLetterCat, kNumberCat, kOtherCat };
Category category(uint32_t c) {
  if (regex_space(c)) return kSpaceCat;
  const uint8_t cls = unicode_class(c);
  return cls & kLetter ? kLetterCat : cls & kNumber ? kNumberCat : kOtherCat;
}

uint32_t cp_at(std::string_view text, size_t pos, size_t* next) {
  uint32_t cp = 0;
  *next = pos;
  utf8_next(text, next, &cp);  // the text was validated
  return cp;
}

// The end of GPT-2's pattern's match at `pos` (every position starts one, so matches tile the
// text). `lead_space`: a space precedes pos that is not in the text (add_prefix_space); the text
// then starts with a non-space, which the space joins as in " ?\p{L}+".
size_t next_word(std::string_view text, size_t pos, bool lead_space) {
  size_t after;
  const uint32_t c0 = cp_at(text, pos, &after);
  auto run = [&](size_t from, Category cat) {
    size_t p = from, n;
    while (p < text.size() && category(cp_at(text, p, &n)) == cat) p = n;
    return p;
  };
  if (lead_space) return run(pos, category(c0));
  if (c0 == '\'') {  // 's|'t|'re|'ve|'m|'ll|'d, case-sensitive
    const std::string_view rest = text.substr(after);
    for (std::string_view c : {"s", "t", "re", "ve", "m", "ll", "d"})
      if (rest.substr(0, c.size()) == c) return after + c.size();
  }
  if (c0 == ' ' && after < text.size()) {  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+"
    size_t n;
    const Category cat = category(cp_at(text, after, &n));
    if (cat != kSpaceCat) return run(after, cat);
  }
  const Category cat = category(c0);
  if (cat != kSpaceCat) return run(pos, cat);
  // \s+(?!\S): a run of whitespace up to the end, or all of it but the last character when a
  // non-space follows (that one may lead the next word); a lone one is \s+.
  size_t last = pos, end = pos, n;
  while (end < text.size() && regex_space(cp_at(text, end, &n))) last = end, end = n;
  if (end == text.size() || last == pos) return end;
  return last;
}

}  // namespace

uint32_t gpt2_byte_symbol(uint8_t byte) {
  if (printable_latin1(byte)) return byte;
  uint32_t n = 0;
  for (uint32_t b = 0; b < byte; ++b) n += !printable_latin1(b);
  return 0x100 + n;
}

struct Bpe::Symbol {  // one token of a word being merged; merged-away symbols are unlinked
  int32_t id;
  int32_t prev, next;  // neighbours' indexes, -1 at the ends
  uint32_t begin, end;  // bytes of the text
};

struct Bpe::Candidate {  // a merge of symbol `left` with its right neighbour, at `rank`
  int32_t rank, left;
  // The heap's top is the lowest rank, then the leftmost: Hugging Face's order of merges.
  bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

size_t Bpe::scratch_bytes() {
  // Each merge adds at most two candidates to the word's initial ones.
  return (kMaxWordBytes + 1) * sizeof(Symbol) + 3 * (kMaxWordBytes + 1) * sizeof(Candidate);
}

Status Bpe::init(const fb::BytePairEncoding& spec, int model_vocab_size) {
  spec_ = &spec;
  vocab_ = spec.vocab();
  merges_ = spec.merges();
  const uint32_t n = vocab_->size();
  TERN_CHECK_OR_RETURN(n > 0 && int64_t(n) <= model_vocab_size, Code::kInvalidModel,
                       "tokenizer: %u BPE tokens for a model with vocab_size=%d", n, model_vocab_size);
  for (uint32_t i = 0; i < n; ++i)
    TERN_CHECK_OR_RETURN(vocab_->Get(i) != nullptr, Code::kInvalidModel, "tokenizer: BPE token %u is missing", i);
  TERN_CHECK_OR_RETURN(spec.vocab_index() && spec.merge_index(), Code::kInvalidModel,
                       "tokenizer: BPE without its token or merge index");
  TERN_RETURN_IF_ERROR(vocab_index_.init(spec.vocab_index()->data(), spec.vocab_index()->size(),
                                         spec.vocab_index_max_probe(), n, "BPE token"));
  TERN_RETURN_IF_ERROR(merge_index_.init(spec.merge_index()->data(), spec.merge_index()->size(),
                                         spec.merge_index_max_probe(), merges_->size(), "BPE merge"));
  for (uint32_t r = 0; r < merges_->size(); ++r) {
    const fb::BpeMerge* m = merges_->Get(r);
    TERN_CHECK_OR_RETURN(m->a() >= 0 && uint32_t(m->a()) < n && m->b() >= 0 && uint32_t(m->b()) < n &&
                             m->result() >= 0 && uint32_t(m->result()) < n,
                         Code::kInvalidModel, "tokenizer: BPE merge %u (%d, %d -> %d) is outside the %u tokens", r,
                         m->a(), m->b(), m->result(), n);
  }
  std::fill(std::begin(symbol_byte_), std::end(symbol_byte_), int16_t(-1));
  for (int b = 0; b < 256; ++b) {
    const uint32_t sym = gpt2_byte_symbol(uint8_t(b));
    symbol_byte_[sym] = int16_t(b);
    char utf8[4];
    byte_id_[b] = lookup(std::string_view(utf8, size_t(utf8_put(sym, utf8))));
    TERN_CHECK_OR_RETURN(byte_id_[b] >= 0, Code::kUnsupported,
                         "tokenizer: byte-level BPE without a token for byte 0x%02x", b);
  }
  return added_.init(spec.added_tokens(), model_vocab_size);
}

std::string_view Bpe::token(int32_t id) const {
  return id >= 0 && size_t(id) < vocab_size() ? vocab_->Get(uint32_t(id))->string_view() : std::string_view();
}

std::string_view Bpe::token_text(int32_t id) const {
  if (const fb::AddedToken* a = added_.by_id(id)) return a->content()->string_view();
  return token(id);
}

// The merge index's key: a's and b's bytes, little-endian, as BpeMerge lays them out in the blob.
int32_t Bpe::merge_rank(int32_t a, int32_t b) const {
  char key[8];
  for (int i = 0; i < 4; ++i) key[i] = char(uint32_t(a) >> (8 * i)), key[4 + i] = char(uint32_t(b) >> (8 * i));
  return merge_index_.find(std::string_view(key, 8), [this](int32_t r) {
    return std::string_view(reinterpret_cast<const char*>(merges_->Get(uint32_t(r))), 8);
  });
}

// One word: its bytes (after a virtual space with `lead_space`) as symbols, merged lowest rank
// first (leftmost among equals) through a heap of candidates checked when popped: O(n log n) in
// the word's length. Popping in rank order is the slow tokenizer's "merge every occurrence of the
// best pair, repeat" because a merge's result only takes part in merges of higher rank.
bool Bpe::encode_word(std::string_view text, size_t begin, size_t end, bool lead_space, uint8_t* scratch,
                      TokenSink& emit) const {
  Symbol* sym = reinterpret_cast<Symbol*>(scratch);
  Candidate* heap = reinterpret_cast<Candidate*>(scratch + (kMaxWordBytes + 1) * sizeof(Symbol));
  int32_t count = 0;
  if (lead_space) sym[count++] = Symbol{byte_id_[' '], -1, -1, uint32_t(begin), uint32_t(begin)};
  for (size_t i = begin; i < end; ++i)
    sym[count++] = Symbol{byte_id_[uint8_t(text[i])], -1, -1, uint32_t(i), uint32_t(i + 1)};
  size_t heap_size = 0;
  auto consider = [&](int32_t left) {
    if (left < 0 || sym[left].next < 0) return;
    const int32_t rank = merge_rank(sym[left].id, sym[sym[left].next].id);
    if (rank < 0) return;
    heap[heap_size++] = Candidate{rank, left};
    std::push_heap(heap, heap + heap_size);
  };
  for (int32_t i = 0; i < count; ++i) sym[i].prev = i - 1, sym[i].next = i + 1 < count ? i + 1 : -1;
  for (int32_t i = 0; i + 1 < count; ++i) consider(i);
  while (heap_size > 0) {
    std::pop_heap(heap, heap + heap_size);
    const Candidate c = heap[--heap_size];
    Symbol& l = sym[c.left];
    // Stale when the left symbol was merged away or either side changed since: the pair now there
    // has another rank (ranks name pairs one to one).
    if (l.id < 0 || l.next < 0 || merge_rank(l.id, sym[l.next].id) != c.rank) continue;
    Symbol& r = sym[l.next];
    l.id = merges_->Get(uint32_t(c.rank))->result();
    l.end = r.end;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = c.left;
    r.id = -1;
    consider(l.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = sym[i].next)
    if (!emit(sym[i].id, sym[i].begin, sym[i].end)) return false;
  return true;
}

// One stretch of text between added tokens, word by word; words longer than the scratch holds are
// merged in pieces that end at character boundaries.
bool Bpe::encode_chunk(std::string_view text, size_t begin, size_t end, bool lead_space, uint8_t* scratch,
                       TokenSink& emit) const {
  const std::string_view chunk = text.substr(0, end);
  for (size_t pos = begin; pos < end; lead_space = false) {
    const size_t word_end = next_word(chunk, pos, lead_space);
    for (size_t at = pos; at < word_end; lead_space = false) {
      size_t piece_end = word_end;
      if (piece_end - at > kMaxWordBytes - 1) {
        piece_end = at + kMaxWordBytes - 1;
        while (piece_end > at + 1 && (uint8_t(text[piece_end]) & 0xC0) == 0x80) --piece_end;
      }
      if (!encode_word(text, at, piece_end, lead_space, scratch, emit)) return false;
      at = piece_end;
    }
    pos = word_end;
  }
  if (begin == end && lead_space) return encode_word(text, begin, end, true, scratch, emit);
  return true;
}

Status Bpe::tokenize(std::string_view text, uint8_t* scratch, TokenSink emit) const {
  TERN_RETURN_IF_ERROR(check_text(text));
  // RobertaTokenizer.prepare_for_tokenization: " " + text unless the text starts with whitespace.
  size_t first_len;
  bool lead = spec_->add_prefix_space() && !text.empty() && !is_python_space(cp_at(text, 0, &first_len));
  size_t pos = 0;
  for (;;) {
    size_t at = 0, len = 0;
    const fb::AddedToken* tok = added_.find(text.substr(pos), &at, &len);
    size_t chunk_end = tok ? pos + at : text.size();
    std::string_view chunk = text.substr(pos, chunk_end - pos);
    if (tok && tok->lstrip()) {
      chunk = python_rstrip(chunk);
      if (chunk.empty()) lead = false;  // the prefix space is stripped with the rest
    }
    if (!encode_chunk(text, pos, pos + chunk.size(), lead, scratch, emit)) return Status();
    lead = false;
    if (!tok) return Status();
    if (!emit(tok->id(), uint32_t(pos + at), uint32_t(pos + at + len))) return Status();
    pos += at + len;
    if (tok->rstrip()) pos = text.size() - python_lstrip(text.substr(pos)).size();
  }
}

namespace {

// bytes.decode("utf-8", errors="replace"): each maximal invalid subpart becomes one U+FFFD.
void append_utf8_replacing(std::string_view bytes, std::string* out) {
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    const uint8_t c = s[i];
    size_t need = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c < 0x80) { out->push_back(char(c)); ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) need = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
    else if (c == 0xED) need = 2, hi = 0x9F;
    else if (c == 0xF0) need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) need = 3, hi = 0x8F;
    size_t k = 1;
    for (; need && k <= need && i + k < n; ++k) {
      const uint8_t b = s[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
    }
    if (need && k == need + 1) {
      out->append(bytes.substr(i, k));
    } else {
      out->append("\xef\xbf\xbd");
    }
    i += need && k == need + 1 ? k : std::max<size_t>(k, 1);
  }
}

}  // namespace

// The slow tokenizer's _decode: tokens' symbols back to bytes; added tokens that are not special
// stand apart (sub-texts joined by spaces); special ones are skipped or kept as text.
std::string Bpe::decode(const int32_t* ids, size_t count, bool skip_special) const {
  std::string text, bytes;
  bool any = false;
  auto flush = [&]() {
    if (bytes.empty()) return;
    if (any) text += ' ';
    append_utf8_replacing(bytes, &text);
    bytes.clear();
    any = true;
  };
  for (size_t i = 0; i < count; ++i) {
    const fb::AddedToken* added = added_.by_id(ids[i]);
    if (added && added->special() && skip_special) continue;
    if (added && !added->special()) {
      flush();
      if (any) text += ' ';
      text += added->content()->string_view();
      any = true;
      continue;
    }
    const std::string_view t = added ? added->content()->string_view() : token(ids[i]);
    for (size_t p = 0; p < t.size();) {
      size_t q = p;
      uint32_t cp;
      if (!utf8_next(t, &q, &cp)) q = p + 1, cp = 0xFFFD;
      if (cp < 324 && symbol_byte_[cp] >= 0) bytes.push_back(char(symbol_byte_[cp]));
      else bytes.append(t.substr(p, q - p));  // not a byte symbol: as it is
      p = q;
    }
  }
  flush();
  clean_up_tokenization(&text);
  return text;
}

}  // namespace tern
