#include "text/unicode.h"

#include <algorithm>
#include <utility>
#include <iterator>

namespace tern {
namespace {
#include "text/unicode_tables.inc"
}  // namespace

uint8_t unicode_class(uint32_t cp) {
  const auto* end = std::end(kClassRanges);
  const auto* it = std::upper_bound(std::begin(kClassRanges), end, cp,
                                    [](uint32_t v, const uint32_t* r) { return v < r[0]; });
  return it == std::begin(kClassRanges) ? 0 : uint8_t((it - 1)[0][1]);
}

int unicode_lower(uint32_t cp, uint32_t* out) {
  const auto* it = std::lower_bound(std::begin(kLower), std::end(kLower), cp,
                                    [](const uint32_t* r, uint32_t v) { return r[0] < v; });
  if (it == std::end(kLower) || (*it)[0] != cp) {
    out[0] = cp;
    return 1;
  }
  int n = 0;
  for (int i = 1; i < 4 && (*it)[i]; ++i) out[n++] = (*it)[i];
  return n;
}

int unicode_nfd(uint32_t cp, uint32_t* out) {
  constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr uint32_t kTCount = 28, kNCount = 588, kSCount = 11172;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out[0] = kLBase + s / kNCount;
    out[1] = kVBase + (s % kNCount) / kTCount;
    if (s % kTCount == 0) return 2;
    out[2] = kTBase + s % kTCount;
    return 3;
  }
  const auto* it = std::lower_bound(std::begin(kDecomp), std::end(kDecomp), cp,
                                    [](const uint32_t* r, uint32_t v) { return r[0] < v; });
  if (it == std::end(kDecomp) || (*it)[0] != cp) {
    out[0] = cp;
    return 1;
  }
  int n = 0;
  for (int i = 1; i < 5 && (*it)[i]; ++i) out[n++] = (*it)[i];
  return n;
}

int unicode_nfkd(uint32_t cp, uint32_t* out) {
  const auto* it = std::lower_bound(std::begin(kCompat), std::end(kCompat), cp,
                                    [](const uint32_t* r, uint32_t v) { return r[0] < v; });
  if (it == std::end(kCompat) || (*it)[0] != cp) return unicode_nfd(cp, out);
  for (uint32_t i = 0; i < (*it)[2]; ++i) out[i] = kCompatData[(*it)[1] + i];
  return int((*it)[2]);
}

uint8_t canonical_class(uint32_t cp) {
  const auto* it = std::upper_bound(std::begin(kCombiningClass), std::end(kCombiningClass), cp,
                                    [](uint32_t v, const uint32_t* r) { return v < r[0]; });
  if (it == std::begin(kCombiningClass)) return 0;
  --it;
  return cp <= (*it)[1] ? uint8_t((*it)[2]) : 0;
}

uint32_t compose(uint32_t a, uint32_t b) {
  constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  if (a >= kLBase && a < kLBase + 19 && b >= kVBase && b < kVBase + 21)  // Hangul L + V
    return kSBase + ((a - kLBase) * 21 + (b - kVBase)) * 28;
  if (a >= kSBase && a < kSBase + 11172 && (a - kSBase) % 28 == 0 && b > kTBase && b < kTBase + 28)
    return a + (b - kTBase);  // Hangul LV + T
  const auto* it = std::lower_bound(std::begin(kComposition), std::end(kComposition), std::make_pair(a, b),
                                    [](const uint32_t* r, std::pair<uint32_t, uint32_t> v) {
                                      return r[0] < v.first || (r[0] == v.first && r[1] < v.second);
                                    });
  return it != std::end(kComposition) && (*it)[0] == a && (*it)[1] == b ? (*it)[2] : 0;
}

Status check_text(std::string_view text) {
  TERN_CHECK_OR_RETURN(text.size() < UINT32_MAX, Code::kInvalidArgument, "text: %zu bytes, tern reads up to 4 GiB",
                       text.size());
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    const size_t at = pos;
    TERN_CHECK_OR_RETURN(utf8_next(text, &pos, &cp), Code::kInvalidArgument, "text: invalid UTF-8 at byte %zu", at);
  }
  return Status();
}

bool utf8_next(std::string_view text, size_t* pos, uint32_t* cp) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = *pos, n = text.size();
  unsigned char c = s[i];
  int len;
  uint32_t v, min;
  if (c < 0x80) { *cp = c; *pos = i + 1; return true; }
  if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
  else return false;
  if (i + size_t(len) > n) return false;
  for (int k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return false;
    v = (v << 6) | (s[i + k] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *pos = i + size_t(len);
  return true;
}

int utf8_put(uint32_t cp, char* out) {
  if (cp < 0x80) { out[0] = char(cp); return 1; }
  if (cp < 0x800) { out[0] = char(0xC0 | (cp >> 6)); out[1] = char(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    out[0] = char(0xE0 | (cp >> 12)); out[1] = char(0x80 | ((cp >> 6) & 0x3F));
    out[2] = char(0x80 | (cp & 0x3F)); return 3;
  }
  out[0] = char(0xF0 | (cp >> 18)); out[1] = char(0x80 | ((cp >> 12) & 0x3F));
  out[2] = char(0x80 | ((cp >> 6) & 0x3F)); out[3] = char(0x80 | (cp & 0x3F));
  return 4;
}

bool is_python_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string_view python_lstrip(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    uint32_t cp;
    if (!utf8_next(s, &next, &cp) || !is_python_space(cp)) break;
    pos = next;
  }
  return s.substr(pos);
}

std::string_view python_rstrip(std::string_view s) {
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (uint8_t(s[start]) & 0xC0) == 0x80) --start;
    size_t pos = start;
    uint32_t cp;
    if (!utf8_next(s, &pos, &cp) || !is_python_space(cp)) break;
    s = s.substr(0, start);
  }
  return s;
}

void clean_up_tokenization(std::string* text) {
  static const char* const kFix[][2] = {{" .", "."},   {" ?", "?"},   {" !", "!"},   {" ,", ","},
                                        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"},
                                        {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& f : kFix) {
    const std::string from = f[0], to = f[1];
    for (size_t p = text->find(from); p != std::string::npos; p = text->find(from, p + to.size()))
      text->replace(p, from.size(), to);
  }
}

}  // namespace tern
