#include "cli/text_stream.h"

namespace tern::cli {

namespace {

// Bytes of the UTF-8 character a lead byte starts; 0 for a continuation or invalid byte.
size_t utf8_length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 0;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

size_t settled_bytes(std::string_view text) {
  size_t lead = text.size();
  while (lead > 0 && text.size() - lead < 4 && (static_cast<unsigned char>(text[lead - 1]) & 0xC0) == 0x80) --lead;
  if (lead > 0) {
    const std::string_view last = text.substr(lead - 1);
    const size_t n = utf8_length(static_cast<unsigned char>(last[0]));
    if (n > 1 && n == last.size() && last != kReplacement) return text.size();
  }
  const size_t space = text.find_last_of(" \t\n\r\v\f");
  return space == std::string_view::npos ? 0 : space;
}

TextStream::TextStream(const Model& model, int32_t start_token, std::FILE* out)
    : model_(model), out_(out), tokens_{start_token} {}

void TextStream::add(int32_t token) {
  tokens_.push_back(token);
  const std::string text = model_.decode(tokens_.data(), tokens_.size());
  print_until(text, settled_bytes(text));
}

void TextStream::finish() {
  const std::string text = model_.decode(tokens_.data(), tokens_.size());
  print_until(text, text.size());
  std::fputc('\n', out_);
  std::fflush(out_);
}

// Prints text[printed_.size(), end). settled_bytes() keeps what was printed a prefix of every later
// text; were it not, the text would go on from the same byte offset (nothing printed can be taken back).
void TextStream::print_until(const std::string& text, size_t end) {
  if (end <= printed_.size()) return;
  std::fwrite(text.data() + printed_.size(), 1, end - printed_.size(), out_);
  std::fflush(out_);
  printed_.append(text, printed_.size(), end - printed_.size());
}

}  // namespace tern::cli
