// The few Unicode facts the tokenizers need, from tables generated out of Python's unicodedata
// (scripts/gen_unicode_tables.py), so that tern splits text exactly as the Python tokenizers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern {

enum UnicodeClass : uint8_t {
  kWhitespace = 1,   // " \t\n\r" or category Zs
  kControl = 2,      // category C* except "\t\n\r" (unassigned code points included)
  kPunctuation = 4,  // ASCII symbols and category P*
  kMark = 8,         // category Mn (what BERT's accent stripping removes)
  kCjk = 16,         // the CJK Unified Ideograph blocks BERT splits on
};

uint8_t unicode_class(uint32_t cp);
// str.lower() of one code point: writes 1..3 code points, returns the count.
int unicode_lower(uint32_t cp, uint32_t* out);
// NFD of one code point (canonical, recursive; Hangul by formula): 1..4 code points.
int unicode_nfd(uint32_t cp, uint32_t* out);

// Decodes one UTF-8 code point at text[*pos], advancing *pos. Returns false on invalid UTF-8
// (overlong forms, surrogates, > U+10FFFF, truncated sequences).
bool utf8_next(std::string_view text, size_t* pos, uint32_t* cp);
// Appends the UTF-8 of cp to out (room for 4 bytes); returns bytes written.
int utf8_put(uint32_t cp, char* out);

// Hugging Face's clean_up_tokenization: removes the space before . ? ! , and English contractions.
void clean_up_tokenization(std::string* text);

}  // namespace tern
