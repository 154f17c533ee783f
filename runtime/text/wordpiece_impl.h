// Template bodies of WordPiece (included by wordpiece.h).
#pragma once

#include <cstring>

#include "text/unicode.h"

namespace tern {

constexpr size_t kMaxWordPieceChars = 1024;  // cap on max_input_chars_per_word

struct WordPiece::Word {
  uint32_t cps[kMaxWordPieceChars + 1];
  SourceSpan spans[kMaxWordPieceChars + 1];  // where each code point came from in the text
  size_t n = 0;      // stored code points
  size_t total = 0;  // code points seen (may exceed what is stored)
  SourceSpan all;    // the whole word's span, stored or not
  void push(uint32_t cp, SourceSpan span) {
    if (n < kMaxWordPieceChars + 1) cps[n] = cp, spans[n++] = span;
    if (total++ == 0) all = span;
    all.begin = span.begin < all.begin ? span.begin : all.begin;
    all.end = span.end > all.end ? span.end : all.end;
  }
};

template <typename Emit>
bool WordPiece::emit_word(const Word& w, Emit& emit) const {
  if (w.total == 0) return true;
  if (w.total > max_word_chars_) return emit(unk_id_, w.all.begin, w.all.end);
  // UTF-8 of the word, with the byte offset of each code point.
  char utf8[kMaxWordPieceChars * 4 + 4];
  uint16_t off[kMaxWordPieceChars + 2];
  size_t bytes = 0;
  for (size_t i = 0; i < w.n; ++i) {
    off[i] = uint16_t(bytes);
    bytes += size_t(utf8_put(w.cps[i], utf8 + bytes));
  }
  off[w.n] = uint16_t(bytes);
  int32_t pieces[kMaxWordPieceChars];
  uint16_t piece_start[kMaxWordPieceChars + 1];  // code point index where each piece starts
  size_t count = 0;
  char cont[kMaxWordPieceChars * 4 + 4] = {'#', '#'};
  for (size_t start = 0; start < w.n;) {
    const char* base = utf8 + off[start];
    if (start > 0) std::memcpy(cont + 2, base, bytes - off[start]);
    int32_t found = -1;
    size_t end = w.n;
    for (; end > start; --end) {
      size_t len = off[end] - off[start];
      std::string_view piece = start > 0 ? std::string_view(cont, len + 2)
                                         : std::string_view(base, len);
      found = lookup(piece);
      if (found >= 0) break;
    }
    if (found < 0) return emit(unk_id_, w.all.begin, w.all.end);  // the whole word becomes [UNK], as in Hugging Face
    piece_start[count] = uint16_t(start);
    pieces[count++] = found;
    start = end;
  }
  piece_start[count] = uint16_t(w.n);
  for (size_t i = 0; i < count; ++i) {
    // A piece's span runs from its first code point's source to its last one's (accent stripping
    // and NFC can reorder nothing across pieces, so the spans stay in text order).
    const SourceSpan first = w.spans[piece_start[i]], last = w.spans[piece_start[i + 1] - 1];
    if (!emit(pieces[i], first.begin, last.end > first.begin ? last.end : first.end)) return false;
  }
  return true;
}

// BertTokenizer's order: lower-case (per character), clean (drop controls, NUL, U+FFFD), NFC,
// then per character: whitespace ends a word, CJK ideographs stand alone, accents are stripped
// (NFD, drop Mn), punctuation stands alone.
template <typename Emit>
Status WordPiece::tokenize_plain(std::string_view text, size_t base, Emit& emit, bool* stopped) const {
  Word word;
  auto flush = [&]() {
    if (*stopped) return;
    *stopped = !emit_word(word, emit);
    word.n = word.total = 0;
  };
  auto process = [&](uint32_t c, SourceSpan span) {
    const uint8_t cls = unicode_class(c);
    if (cls & kWhitespace) return flush();
    if (split_cjk_ && (cls & kCjk)) {
      flush();
      word.push(c, span);
      return flush();
    }
    uint32_t parts[4];
    int np = 1;
    parts[0] = c;
    if (strip_accents_) np = unicode_nfd(c, parts);
    for (int pi = 0; pi < np; ++pi) {
      const uint32_t d = parts[pi];
      const uint8_t dc = unicode_class(d);
      if (strip_accents_ && (dc & kMark)) continue;
      if (dc & kPunctuation) {
        flush();
        word.push(d, span);
        flush();
      } else {
        word.push(d, span);
      }
    }
  };
  NfcStream nfc;
  for (size_t pos = 0; pos < text.size() && !*stopped;) {
    uint32_t raw;
    size_t at = pos;
    TERN_CHECK_OR_RETURN(utf8_next(text, &pos, &raw), Code::kInvalidArgument,
                         "text: invalid UTF-8 at byte %zu", base + at);
    uint32_t lowered[3];
    int nl = lower_ ? unicode_lower(raw, lowered) : (lowered[0] = raw, 1);
    for (int li = 0; li < nl; ++li) {
      const uint32_t c = lowered[li];
      if (c == 0 || c == 0xFFFD || (unicode_class(c) & kControl)) continue;  // _clean_text
      nfc.push(c, process, SourceSpan{uint32_t(base + at), uint32_t(base + pos)});
    }
  }
  nfc.flush(process);
  flush();
  return Status();
}

template <typename Emit>
Status WordPiece::tokenize(std::string_view text, Emit&& emit) const {
  size_t chunk = 0;
  bool stopped = false;
  for (size_t pos = 0; pos < text.size() && !stopped;) {
    // Special tokens are matched verbatim (before lower-casing), longest first.
    size_t best = 0;
    int32_t best_id = -1;
    for (std::string_view s : specials_) {
      if (s.size() > best && text.compare(pos, s.size(), s) == 0) {
        best = s.size();
        best_id = lookup(s);
      }
    }
    if (best_id < 0) {
      ++pos;
      continue;
    }
    TERN_RETURN_IF_ERROR(tokenize_plain(text.substr(chunk, pos - chunk), chunk, emit, &stopped));
    if (stopped || !emit(best_id, uint32_t(pos), uint32_t(pos + best))) return Status();
    pos += best;
    chunk = pos;
  }
  if (stopped) return Status();
  return tokenize_plain(text.substr(chunk), chunk, emit, &stopped);
}

}  // namespace tern
