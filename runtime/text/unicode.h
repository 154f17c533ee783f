// The few Unicode facts the tokenizers need, from tables generated out of Python's unicodedata
// (scripts/gen_unicode_tables.py), so that tern splits text exactly as the Python tokenizers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "tern/status.h"

namespace tern {

enum UnicodeClass : uint8_t {
  kWhitespace = 1,   // " \t\n\r" or category Zs
  kControl = 2,      // category C* except "\t\n\r" (unassigned code points included)
  kPunctuation = 4,  // ASCII symbols and category P*
  kMark = 8,         // category Mn (what BERT's accent stripping removes)
  kCjk = 16,         // the CJK Unified Ideograph blocks BERT splits on
  kLetter = 32,      // category L* (\p{L} of GPT-2's pre-tokenization pattern)
  kNumber = 64,      // category N* (\p{N})
};

uint8_t unicode_class(uint32_t cp);
// str.lower() of one code point: writes 1..3 code points, returns the count.
int unicode_lower(uint32_t cp, uint32_t* out);
// NFD of one code point (canonical, recursive; Hangul by formula): 1..4 code points.
int unicode_nfd(uint32_t cp, uint32_t* out);

// NFKD of one code point (compatibility, recursive; Hangul by formula): 1..kMaxNfkd code points.
constexpr int kMaxNfkd = 18;  // U+FDFA
int unicode_nfkd(uint32_t cp, uint32_t* out);

// Canonical combining class (0 for starters).
uint8_t canonical_class(uint32_t cp);
// The canonical composite of a + b that NFC forms (Hangul by formula), or 0.
uint32_t compose(uint32_t a, uint32_t b);

// Where a code point came from: bytes [begin, end) of the text being tokenized (for the offsets
// encode() reports); a composite covers what it was composed from.
struct SourceSpan {
  uint32_t begin = 0, end = 0;
};

// NFC over a stream of code points, as unicodedata.normalize("NFC"): canonical decomposition,
// canonical ordering of combining marks, then canonical composition. Holds only the current
// starter and the marks after it (at most kMax; longer runs of marks are passed on uncomposed).
// Each code point carries its SourceSpan; emit takes (cp) or (cp, span).
class NfcStream {
 public:
  template <typename Emit>
  void push(uint32_t cp, Emit& emit, SourceSpan span = {}) {
    uint32_t parts[4];
    const int n = unicode_nfd(cp, parts);
    for (int i = 0; i < n; ++i) order(parts[i], span, emit);
  }
  template <typename Emit>
  void flush(Emit& emit) {
    release_marks(emit);
    for (int i = 0; i < held_; ++i) send(emit, out_[i], out_span_[i]);
    held_ = 0;
    has_starter_ = false;
  }

 private:
  static constexpr int kMax = 32;
  template <typename Emit>
  static void send(Emit& emit, uint32_t c, SourceSpan span) {
    if constexpr (std::is_invocable_v<Emit&, uint32_t, SourceSpan>) emit(c, span);
    else emit(c);
  }
  // Marks wait until the next starter so they can be put in canonical order.
  template <typename Emit>
  void order(uint32_t c, SourceSpan span, Emit& emit) {
    const uint8_t cc = canonical_class(c);
    if (cc != 0 && marks_ < kMax) {
      int i = marks_++;
      for (; i > 0 && canonical_class(mark_[i - 1]) > cc; --i) mark_[i] = mark_[i - 1], mark_span_[i] = mark_span_[i - 1];  // stable
      mark_[i] = c;
      mark_span_[i] = span;
      return;
    }
    release_marks(emit);
    compose_next(c, span, emit);
  }
  template <typename Emit>
  void release_marks(Emit& emit) {
    for (int i = 0; i < marks_; ++i) compose_next(mark_[i], mark_span_[i], emit);
    marks_ = 0;
  }
  // Unicode's reference composition: a mark joins the starter unless blocked by a mark of the
  // same or higher class in between; a starter joins only the starter right before it.
  template <typename Emit>
  void compose_next(uint32_t c, SourceSpan span, Emit& emit) {
    const uint8_t cc = canonical_class(c);
    if (has_starter_ && (last_class_ < cc || (last_class_ == 0 && held_ == 1))) {
      if (uint32_t composite = compose(out_[0], c)) {
        out_[0] = composite;
        out_span_[0].begin = span.begin < out_span_[0].begin ? span.begin : out_span_[0].begin;
        out_span_[0].end = span.end > out_span_[0].end ? span.end : out_span_[0].end;
        return;
      }
    }
    if (cc == 0 || held_ == kMax) {  // a new starter: what came before is final
      for (int i = 0; i < held_; ++i) send(emit, out_[i], out_span_[i]);
      held_ = 0;
      has_starter_ = cc == 0;
    }
    out_span_[held_] = span;
    out_[held_++] = c;
    last_class_ = cc;
  }

  uint32_t mark_[kMax];
  SourceSpan mark_span_[kMax];
  int marks_ = 0;
  uint32_t out_[kMax];
  SourceSpan out_span_[kMax];
  int held_ = 0;
  bool has_starter_ = false;
  uint8_t last_class_ = 0;
};

// Decodes one UTF-8 code point at text[*pos], advancing *pos. Returns false on invalid UTF-8
// (overlong forms, surrogates, > U+10FFFF, truncated sequences).
bool utf8_next(std::string_view text, size_t* pos, uint32_t* cp);
// A text the tokenizers take: valid UTF-8, and short enough for 32-bit token offsets.
Status check_text(std::string_view text);
// Appends the UTF-8 of cp to out (room for 4 bytes); returns bytes written.
int utf8_put(uint32_t cp, char* out);

// Python's str.isspace(), and str.lstrip() / str.rstrip() of valid UTF-8 (the lstrip/rstrip of
// Hugging Face's added tokens).
bool is_python_space(uint32_t c);
std::string_view python_lstrip(std::string_view s);
std::string_view python_rstrip(std::string_view s);

// Hugging Face's clean_up_tokenization: removes the space before . ? ! , and English contractions.
void clean_up_tokenization(std::string* text);

}  // namespace tern
