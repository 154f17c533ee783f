#include "text/sentencepiece.h"

#include <algorithm>
#include <cfloat>
#include <cstring>

#include "text/unicode.h"

namespace tern {
namespace {

constexpr char kSpaceSymbol[] = "\xe2\x96\x81";  // U+2581, what escape_whitespaces writes for ' '
constexpr float kUnkPenalty = 10.0f;
// The normalizer reads through a stage of kStageBytes, topped up when fewer than kLookahead bytes
// are left: no charsmap rule or UTF-8 character needs more.
constexpr size_t kStageBytes = 1024, kLookahead = 512;
// Bounds on what a tokenizer may hold, so that a window of kWindowBytes always suffices
// (sentencepiece's own pieces are at most 16 characters; NFKC's longest expansion is 33 bytes).
constexpr size_t kMaxPieceBytes = 1024, kMaxReplacementBytes = 256;

size_t align8(size_t n) { return (n + 7) / 8 * 8; }

size_t utf8_len(std::string_view s) {  // length of the first character; 1 for invalid bytes
  size_t pos = 0;
  uint32_t cp;
  return utf8_next(s, &pos, &cp) ? pos : 1;
}

}  // namespace

struct SentencePiece::Node {  // best segmentation of the normalized text ending at a byte
  float score;
  int32_t start;  // -1: unreached
  int32_t id;
  int32_t next;   // forward link, filled when the best path is read back
};

// One chunk's text as the normalizer reads it: up to three parts in order, copied through a small
// stage so that nothing the size of the text is copied. In a `rewritten` part U+2581 reads as a
// space (T5Tokenizer legacy=False replaces it before encoding). Each staged byte remembers where
// in the text it came from; a `synthetic` part (not from the text) has empty spans.
struct SentencePiece::Input {
  std::string_view parts[3];
  bool rewritten[3] = {false, false, false};
  bool synthetic[3] = {false, false, false};
  uint32_t origin[3] = {0, 0, 0};  // text offset of each part's next byte
  size_t count = 0, part = 0;
  const SentencePiece* pre = nullptr;    // AlbertTokenizer's preprocessing of the text's parts, if any
  bool pending_space = false, wrote = false;  // remove_space: a space is due / something was staged
  char* stage = nullptr;         // kStageBytes
  SourceSpan* spans = nullptr;   // kStageBytes: the source of each staged byte
  size_t begin = 0, end = 0;     // staged bytes not normalized yet

  void add(std::string_view s, bool rewrite, uint32_t at, bool synth) {
    parts[count] = s, rewritten[count] = rewrite, origin[count] = at, synthetic[count++] = synth;
  }
  // The source of the next len staged bytes.
  SourceSpan span(size_t len) const { return SourceSpan{spans[begin].begin, spans[begin + len - 1].end}; }
  bool all_staged() {
    while (part < count && parts[part].empty()) ++part;
    return part == count;
  }
  bool done() { return begin == end && all_staged(); }
  // The staged bytes, topped up when fewer than kLookahead are left.
  std::string_view staged() {
    if (end - begin < kLookahead && !all_staged()) {
      std::memmove(stage, stage + begin, end - begin);
      std::memmove(spans, spans + begin, (end - begin) * sizeof(SourceSpan));
      end -= begin, begin = 0;
      while (end < kStageBytes && !all_staged()) {
        std::string_view& p = parts[part];
        if (pre && !synthetic[part]) {
          if (end + kMaxPreprocessedBytes > kStageBytes) break;
          preprocess_next();
          continue;
        }
        const bool space = rewritten[part] && p.substr(0, 3) == kSpaceSymbol;
        const uint32_t width = synthetic[part] ? 0 : space ? 3 : 1;
        spans[end] = SourceSpan{origin[part], origin[part] + width};
        origin[part] += width;
        stage[end++] = space ? ' ' : p[0];
        p.remove_prefix(space ? 3 : 1);
      }
    }
    return std::string_view(stage + begin, end - begin);
  }
  // One code point of the current part through AlbertTokenizer.preprocess_text, into the stage.
  static constexpr size_t kMaxPreprocessedBytes = 4 * (3 * kMaxNfkd + 1);
  void preprocess_next() {
    std::string_view& p = parts[part];
    const fb::SentencePiece& spec = *pre->spec_;
    size_t next = 0;
    uint32_t cp = 0;
    if (!utf8_next(p, &next, &cp)) next = 1, cp = 0xFFFD;  // the text was validated; a guard only
    SourceSpan span{origin[part], origin[part] + uint32_t(next)};
    origin[part] += uint32_t(next);
    p.remove_prefix(next);
    if (spec.remove_space() && is_python_space(cp)) {  // " ".join(text.strip().split())
      pending_space = wrote;
      return;
    }
    if (spec.replace_quotes() && (cp == '`' || cp == '\'') && !p.empty() && uint8_t(p[0]) == cp) {
      p.remove_prefix(1);  // `` and '' -> "
      origin[part] += 1, span.end += 1;
      cp = '"';
    }
    auto put = [&](uint32_t c, SourceSpan s) {
      char utf8[4];
      const int len = utf8_put(c, utf8);
      for (int k = 0; k < len; ++k) spans[end] = s, stage[end++] = utf8[k];
    };
    if (pending_space) put(' ', SourceSpan{span.begin, span.begin});
    pending_space = false;
    wrote = true;
    uint32_t out[3 * kMaxNfkd];
    const int n = pre->preprocess(cp, out);
    for (int i = 0; i < n; ++i) put(out[i], span);
  }
};

// The lattice over a window of normalized text. Long texts stream through it: once the best paths
// to every position still open share a position, the path up to it is settled; it is emitted and
// the window shifts there with the scores kept, so the result is the whole text's Viterbi path.
struct SentencePiece::Window {
  char* text;
  Node* nodes;       // nodes[i]: the best segmentation of text[0, i)
  SourceSpan* src;   // src[i]: where text[i] came from
  size_t capacity;
  size_t filled = 0;     // normalized bytes in the window
  size_t frontier = 0;   // the next lattice start (a character boundary); all before it are done
  bool ended = false;    // the input is all normalized, trailing whitespace removed
  bool started = false;  // the normalizer is past leading whitespace
  bool prev_space = false;
  // The last token, held back because a run of unknowns is one <unk> (across shifts too) whose
  // span grows with the run.
  int32_t pending_id = -1;
  SourceSpan pending_span{};
};


Status SentencePiece::init(const fb::SentencePiece& spec, int model_vocab_size) {
  spec_ = &spec;
  const uint32_t n = spec.pieces()->size();
  TERN_CHECK_OR_RETURN(n > 0 && spec.scores()->size() == n && spec.types()->size() == n, Code::kInvalidModel,
                       "tokenizer: %u pieces with %u scores and %u types", n, spec.scores()->size(), spec.types()->size());
  TERN_CHECK_OR_RETURN(spec.vocab_size() >= int(n) && spec.vocab_size() <= model_vocab_size, Code::kInvalidModel,
                       "tokenizer: vocab_size %d is not in %u..%d", spec.vocab_size(), n, model_vocab_size);
  id_offset_ = spec.id_offset();
  unk_token_id_ = spec.unk_token_id();
  TERN_CHECK_OR_RETURN(id_offset_ >= 0 && int64_t(n) + id_offset_ <= int64_t(spec.vocab_size()) &&
                           unk_token_id_ >= -1 && unk_token_id_ < spec.vocab_size(),
                       Code::kInvalidModel, "tokenizer: id offset %d or unk token id %d does not fit %u pieces in %d ids",
                       id_offset_, unk_token_id_, n, spec.vocab_size());
  preprocessing_ = spec.remove_space() || spec.replace_quotes() || spec.strip_accents() || spec.lower_case();
  id_to_piece_.resize(n);
  types_.resize(n);
  min_score_ = FLT_MAX;
  max_score_ = FLT_MIN;  // sentencepiece's initial value (the smallest positive float), kept for fidelity
  for (uint32_t i = 0; i < n; ++i) {
    const auto* p = spec.pieces()->Get(i);
    const auto type = spec.types()->Get(i);
    TERN_CHECK_OR_RETURN(p && p->size() > 0 && type >= fb::PieceType::MIN && type <= fb::PieceType::MAX,
                         Code::kInvalidModel, "tokenizer: piece %u is empty or has an unknown type", i);
    id_to_piece_[i] = std::string_view(p->c_str(), p->size());
    types_[i] = uint8_t(type);
    if (indexed(type)) max_piece_bytes_ = std::max(max_piece_bytes_, size_t(p->size()));
    if (type == fb::PieceType::Normal) {
      min_score_ = std::min(min_score_, spec.scores()->Get(i));
      max_score_ = std::max(max_score_, spec.scores()->Get(i));
    }
  }
  if (const auto* slots = spec.piece_index()) {
    TERN_RETURN_IF_ERROR(pieces_.init(slots->data(), slots->size(), spec.piece_index_max_probe(), n, "piece"));
  } else {  // a blob from before format 1.2
    pieces_.adopt(build_string_index(
        n, [this](int32_t id) { return id_to_piece_[size_t(id)]; },
        [this](size_t i) { return indexed(fb::PieceType(types_[i])); }));
  }
  TERN_CHECK_OR_RETURN(!spec.byte_fallback(), Code::kUnsupported, "tokenizer: byte_fallback models are not supported yet");
  unk_id_ = spec.unk_id();
  eos_id_ = spec.eos_id();
  pad_id_ = spec.pad_id() >= 0 ? spec.pad_id() : 0;
  TERN_CHECK_OR_RETURN(unk_id_ >= 0 && uint32_t(unk_id_) < n && eos_id_ >= -1 && eos_id_ < int64_t(n) &&
                           pad_id_ < int64_t(n),
                       Code::kInvalidModel, "tokenizer: unk, eos or pad id outside the pieces");
  TERN_RETURN_IF_ERROR(added_.init(spec.added_tokens(), spec.vocab_size()));
  // The charsmap: a little-endian uint32 trie size, the darts-clone units, then NUL-terminated
  // replacement strings the trie's values point into.
  if (const auto* map = spec.precompiled_charsmap(); map && map->size() > 0) {
    TERN_CHECK_OR_RETURN(map->size() >= 4, Code::kInvalidModel, "tokenizer: charsmap is truncated");
    uint32_t trie_bytes;
    std::memcpy(&trie_bytes, map->data(), 4);
    TERN_CHECK_OR_RETURN(trie_bytes % 4 == 0 && trie_bytes >= 4 && trie_bytes <= map->size() - 4, Code::kInvalidModel,
                         "tokenizer: charsmap trie of %u bytes does not fit in %u", trie_bytes, map->size());
    TERN_CHECK_OR_RETURN(reinterpret_cast<uintptr_t>(map->data() + 4) % 4 == 0, Code::kInvalidModel,
                         "tokenizer: charsmap is misaligned");
    trie_ = reinterpret_cast<const uint32_t*>(map->data() + 4);
    trie_units_ = trie_bytes / 4;
    replacements_ = reinterpret_cast<const char*>(map->data() + 4 + trie_bytes);
    replacements_bytes_ = map->size() - 4 - trie_bytes;
    // Every rule consumes at least one byte, so the longest replacement bounds the expansion.
    for (size_t at = 0, len = 0; at < replacements_bytes_; ++at)
      len = replacements_[at] ? len + 1 : 0, max_expansion_ = std::max(max_expansion_, len);
  }
  TERN_CHECK_OR_RETURN(max_piece_bytes_ <= kMaxPieceBytes && max_expansion_ <= kMaxReplacementBytes,
                       Code::kUnsupported, "tokenizer: a piece of %zu bytes or a normalization to %zu bytes "
                       "(tern reads up to %zu and %zu)", max_piece_bytes_, max_expansion_, kMaxPieceBytes,
                       kMaxReplacementBytes);
  if (!spec.legacy()) {  // T5Tokenizer's unk_token_length: pieces of "<unk>" without a dummy prefix
    std::vector<uint8_t> buf(scratch_bytes(min_window()));
    const Scratch s{buf.data(), min_window()};
    Input in;
    in.stage = stage(s);
    in.spans = stage_spans(s);
    in.add(id_to_piece_[size_t(unk_id_)], false, 0, true);
    size_t count = 0;
    auto counter = [&](int32_t, uint32_t, uint32_t) { return ++count, true; };
    TERN_RETURN_IF_ERROR(encode_pieces(in, false, s, counter));
    unk_prefix_ids_ = count;
  }
  return Status();
}

// Longest charsmap rule matching a prefix of `in` (darts-clone common prefix search). Returns the
// bytes consumed (0: no rule) and sets the replacement; `open`: the trie still matched at the end
// of `in`, so a longer rule might match more input.
size_t SentencePiece::normalize_prefix(std::string_view in, std::string_view* replacement, bool* open) const {
  if (!trie_) return 0;
  auto offset = [](uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
  size_t node = 0, best_len = 0;
  uint32_t best_value = 0;
  node ^= offset(trie_[0]);
  size_t i = 0;
  for (; i < in.size(); ++i) {
    const uint8_t c = uint8_t(in[i]);
    node ^= c;
    if (node >= trie_units_) return 0;  // corrupt trie: treat as no rule
    const uint32_t unit = trie_[node];
    if ((unit & ((1u << 31) | 0xFF)) != c) break;
    node ^= offset(unit);
    if (node >= trie_units_) return 0;
    if ((unit >> 8) & 1) {  // has a leaf: a rule ends here
      best_len = i + 1;
      best_value = trie_[node] & ((1u << 31) - 1);
    }
  }
  *open = i == in.size();
  if (best_len == 0 || best_value >= replacements_bytes_) return 0;
  const char* r = replacements_ + best_value;
  const void* end = std::memchr(r, '\0', replacements_bytes_ - best_value);
  if (!end) return 0;
  *replacement = std::string_view(r, size_t(static_cast<const char*>(end) - r));
  return best_len;
}

// The scratch: the window's text, its nodes, the sources of its bytes, the input stage and the
// sources of the staged bytes.
size_t SentencePiece::scratch_bytes(size_t window) {
  return align8(window) + align8((window + 1) * sizeof(Node)) + align8((window + 1) * sizeof(SourceSpan)) +
         kStageBytes * (1 + sizeof(SourceSpan));
}
SourceSpan* SentencePiece::window_spans(const Scratch& s) {
  return reinterpret_cast<SourceSpan*>(s.data + align8(s.text_bytes) + align8((s.text_bytes + 1) * sizeof(Node)));
}
char* SentencePiece::stage(const Scratch& s) {
  return reinterpret_cast<char*>(window_spans(s) + (s.text_bytes + 1));
}
SourceSpan* SentencePiece::stage_spans(const Scratch& s) {
  return reinterpret_cast<SourceSpan*>(s.data + scratch_bytes(s.text_bytes) - kStageBytes * sizeof(SourceSpan));
}

// The window must hold one rule's output and a piece's reach past the frontier with room to spare:
// each shift then moves it by at least a quarter.
size_t SentencePiece::min_window() const { return 4 * (normalized_room() + reach()); }

// sentencepiece's Normalizer::Normalize, incrementally: appends to the window until the input ends
// or one more rule's output might not fit. Charsmap rules, leading, trailing and repeated
// whitespace removed, the dummy prefix added, spaces escaped as U+2581; invalid UTF-8 becomes U+FFFD.
Status SentencePiece::normalize_more(Input& in, Window& w, bool dummy_prefix) const {
  const bool remove_ws = spec_->remove_extra_whitespaces();
  const std::string_view space = spec_->escape_whitespaces() ? std::string_view(kSpaceSymbol) : " ";
  const size_t from = w.filled;
  auto put = [&](std::string_view s, SourceSpan src) {
    for (const char& c : s) {
      const std::string_view out = c == ' ' ? space : std::string_view(&c, 1);
      std::memcpy(w.text + w.filled, out.data(), out.size());
      for (size_t k = 0; k < out.size(); ++k) w.src[w.filled + k] = src;
      w.filled += out.size();
    }
  };
  while (w.filled + normalized_room() <= w.capacity) {
    const std::string_view text = in.staged();
    if (text.empty()) break;
    std::string_view piece;
    bool open = false;
    size_t len = normalize_prefix(text, &piece, &open);
    TERN_CHECK_OR_RETURN(!open || in.all_staged(), Code::kInvalidModel,
                         "tokenizer: a charsmap rule is longer than %zu bytes", kLookahead);
    if (!len) {
      size_t pos = 0;
      uint32_t cp;
      const bool valid = utf8_next(text, &pos, &cp);
      piece = valid ? text.substr(0, pos) : std::string_view("\xef\xbf\xbd");
      len = valid ? pos : 1;
    }
    const SourceSpan src = in.span(len);
    in.begin += len;
    if (!w.started) {
      if (remove_ws && piece == " ") continue;
      w.started = true;
      if (dummy_prefix) put(" ", SourceSpan{src.begin, src.begin});  // in no text: empty, where the text starts
      w.prev_space = remove_ws;
    }
    if (w.prev_space)
      while (!piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
    if (!piece.empty()) {
      put(piece, src);
      w.prev_space = piece.back() == ' ';
    }
    if (!remove_ws) w.prev_space = false;
  }
  if (in.done()) {
    w.ended = true;
    if (remove_ws)
      while (w.filled >= space.size() && std::string_view(w.text + w.filled - space.size(), space.size()) == space)
        w.filled -= space.size();
  }
  for (size_t i = from + 1; i <= w.filled; ++i) w.nodes[i] = Node{0.0f, -1, -1, -1};
  return Status();
}

// sentencepiece's EncodeOptimized over the starts from the frontier up to `until`: every piece
// from a start relaxes the node it ends at; a character no piece covers becomes <unk>.
void SentencePiece::extend_lattice(Window& w, size_t until) const {
  const std::string_view text(w.text, w.filled);
  Node* nodes = w.nodes;
  const float unk_score = min_score_ - kUnkPenalty;
  for (size_t start = w.frontier; start < until; start = w.frontier) {
    const float base = nodes[start].score;
    const size_t char_len = std::min(utf8_len(text.substr(start)), text.size() - start);
    bool single_char_piece = false;
    const size_t limit = std::min(text.size() - start, max_piece_bytes_);
    for (size_t length = 1; length <= limit; ++length) {
      const int32_t id = find_piece(text.substr(start, length));
      if (id < 0) continue;
      if (fb::PieceType(types_[size_t(id)]) == fb::PieceType::Unused) continue;
      const double score = fb::PieceType(types_[size_t(id)]) == fb::PieceType::UserDefined
                               ? double(float(length) * max_score_) - 0.1
                               : double(spec_->scores()->Get(uint32_t(id)));
      Node& target = nodes[start + length];
      const double candidate = score + double(base);
      if (target.start == -1 || candidate > double(target.score)) target = Node{float(candidate), int32_t(start), id, -1};
      if (length == char_len) single_char_piece = true;
    }
    if (!single_char_piece) {
      Node& target = nodes[start + char_len];
      const float candidate = unk_score + base;
      if (target.start == -1 || candidate > target.score) target = Node{candidate, int32_t(start), unk_id_, -1};
    }
    w.frontier = start + char_len;
  }
}

// The last position every path still open goes through: the frontier's best path, and those of
// the starts before it whose pieces reach past it, all meet there. Paths only point backwards,
// so stepping the later of two positions back along its path finds where they meet.
size_t SentencePiece::settled_position(const Window& w) const {
  size_t common = w.frontier;
  const size_t last = std::min(w.filled, w.frontier + reach());
  for (size_t q = w.frontier + 1; q <= last; ++q) {
    if (w.nodes[q].start < 0) continue;
    for (size_t other = size_t(w.nodes[q].start); other != common;) {
      size_t& later = common > other ? common : other;
      later = size_t(w.nodes[later].start);
    }
  }
  return common;
}

// Emits the best path through text[0, end); false if emit asked to stop.
template <typename Emit>
bool SentencePiece::emit_path(Window& w, size_t end, Emit& emit) const {
  Node* nodes = w.nodes;
  for (size_t at = end; at > 0;) {
    const size_t from = size_t(nodes[at].start);
    nodes[from].next = int32_t(at);
    at = from;
  }
  for (size_t at = 0; at < end; at = size_t(nodes[at].next)) {
    const size_t next = size_t(nodes[at].next);
    const int32_t id = nodes[next].id;
    const SourceSpan span{w.src[at].begin, std::max(w.src[next - 1].end, w.src[at].begin)};
    if (id == unk_id_ && w.pending_id == unk_id_) {
      w.pending_span.end = std::max(w.pending_span.end, span.end);
      continue;
    }
    if (!flush_pending(w, emit)) return false;
    w.pending_id = id;
    w.pending_span = span;
  }
  return true;
}

template <typename Emit>
bool SentencePiece::flush_pending(Window& w, Emit& emit) const {
  const int32_t id = w.pending_id;
  w.pending_id = -1;
  return id < 0 || emit(model_id(id), w.pending_span.begin, w.pending_span.end);
}

// Drops text[0, at) from the window; scores stay as they are, so later ones add up as they would
// over the whole text.
void SentencePiece::shift(Window& w, size_t at) {
  std::memmove(w.text, w.text + at, w.filled - at);
  std::memmove(w.src, w.src + at, (w.filled - at) * sizeof(SourceSpan));
  for (size_t i = at; i <= w.filled; ++i) {
    Node n = w.nodes[i];
    if (n.start >= 0) n.start = std::max(n.start - int32_t(at), 0);  // before `at`: on no open path
    w.nodes[i - at] = n;
  }
  w.nodes[0].start = 0;
  w.filled -= at, w.frontier -= at;
}

// Normalizes the input and emits the ids of its best segmentation, window by window.
template <typename Emit>
Status SentencePiece::encode_pieces(Input& in, bool dummy_prefix, const Scratch& s, Emit& emit) const {
  Window w{reinterpret_cast<char*>(s.data), reinterpret_cast<Node*>(s.data + align8(s.text_bytes)), window_spans(s),
           s.text_bytes};
  w.nodes[0] = Node{0.0f, 0, -1, -1};
  const std::string_view space = spec_->escape_whitespaces() ? std::string_view(kSpaceSymbol) : " ";
  for (;;) {
    TERN_RETURN_IF_ERROR(normalize_more(in, w, dummy_prefix));
    if (w.ended) {
      extend_lattice(w, w.filled);
      if (emit_path(w, w.filled, emit)) flush_pending(w, emit);
      return Status();
    }
    // Only starts whose pieces cannot reach past the final text: trailing whitespace may still
    // be removed.
    size_t final_bytes = w.filled;
    if (spec_->remove_extra_whitespaces())
      while (final_bytes >= space.size() && std::string_view(w.text + final_bytes - space.size(), space.size()) == space)
        final_bytes -= space.size();
    if (final_bytes >= reach()) extend_lattice(w, final_bytes - reach() + 1);
    const size_t at = settled_position(w);
    TERN_CHECK_OR_RETURN(at >= w.capacity / 4, Code::kResourceExhausted,
                         "text: over %zu normalized bytes whose segmentation does not settle (a run of one "
                         "repeated character?); tern reads text through a window of %zu bytes",
                         w.filled - at, w.capacity);
    if (!emit_path(w, at, emit)) return Status();
    shift(w, at);
  }
}

// One chunk of text between added tokens. Legacy: SentencePiece as configured. Non-legacy
// (T5Tokenizer legacy=False): U+2581 in the text becomes a space, the first chunk gets a U+2581
// prefix, no dummy prefix; a chunk starting with a space or U+2581 is encoded as "<unk>" + chunk
// with the ids of "<unk>" dropped, so that its leading space survives normalization.
template <typename Emit>
Status SentencePiece::encode_chunk(std::string_view chunk, uint32_t at, bool first, const Scratch& s, Emit& emit) const {
  Input in;
  in.stage = stage(s);
  in.spans = stage_spans(s);
  if (spec_->legacy()) {
    if (chunk.empty()) return Status();
    if (preprocessing_) in.pre = this;
    in.add(chunk, false, at, false);
    return encode_pieces(in, spec_->add_dummy_prefix(), s, emit);
  }
  if (!first && chunk.empty()) return Status();
  if (!first && chunk[0] != ' ' && chunk.substr(0, 3) != kSpaceSymbol) {
    in.add(chunk, true, at, false);
    return encode_pieces(in, false, s, emit);
  }
  in.add(id_to_piece_[size_t(unk_id_)], false, at, true);
  if (first) in.add(kSpaceSymbol, false, at, true);
  in.add(chunk, true, at, false);
  size_t skip = unk_prefix_ids_;
  auto dropping = [&](int32_t id, uint32_t b, uint32_t e) { return skip ? (--skip, true) : emit(id, b, e); };
  return encode_pieces(in, false, s, dropping);
}

Status SentencePiece::tokenize(std::string_view text, const Scratch& s, TokenSink emit) const {
  TERN_CHECK_OR_RETURN(s.text_bytes >= min_window(), Code::kInvalidArgument,
                       "tokenizer: a window of %zu bytes, this tokenizer needs %zu", s.text_bytes, min_window());
  TERN_RETURN_IF_ERROR(check_text(text));
  bool stopped = false;
  auto out = [&](int32_t id, uint32_t b, uint32_t e) { return !(stopped = !emit(id, b, e)); };
  // Split on added tokens (leftmost, then longest), honouring their lstrip/rstrip. Each position
  // of the text is a trie walk from the root once.
  std::string_view rest = text;
  for (bool first = true; !stopped; first = false) {
    const uint32_t at = uint32_t(rest.data() - text.data());
    size_t best_pos = std::string_view::npos, best_len = 0;
    const fb::AddedToken* best = added_.find(rest, &best_pos, &best_len);
    std::string_view chunk = rest.substr(0, best ? best_pos : rest.size());
    if (best && best->lstrip()) chunk = python_rstrip(chunk);
    // Non-legacy drops the lone U+2581 prefix when the text starts with an added token.
    const bool lone_prefix = !spec_->legacy() && first && chunk.empty() && best;
    if (!lone_prefix && !(spec_->legacy() && chunk.empty()))
      TERN_RETURN_IF_ERROR(encode_chunk(chunk, at, first && !text.empty(), s, out));
    if (!best || stopped) break;
    if (!out(best->id(), uint32_t(at + best_pos), uint32_t(at + best_pos + best_len))) break;
    rest = rest.substr(best_pos + best_len);
    if (best->rstrip()) rest = python_lstrip(rest);
  }
  return Status();
}

int SentencePiece::preprocess(uint32_t cp, uint32_t* out) const {
  uint32_t d[kMaxNfkd];
  const int nd = spec_->strip_accents() ? unicode_nfkd(cp, d) : (d[0] = cp, 1);
  int n = 0;
  for (int i = 0; i < nd; ++i) {
    if (spec_->strip_accents() && canonical_class(d[i]) != 0) continue;  // unicodedata.combining
    if (spec_->lower_case()) n += unicode_lower(d[i], out + n);
    else out[n++] = d[i];
  }
  return n;
}

std::string_view SentencePiece::token_text(int32_t id) const {
  if (const fb::AddedToken* a = added_.by_id(id)) return a->content()->string_view();
  const int32_t p = piece_of(id);
  return p >= 0 ? id_to_piece_[size_t(p)] : std::string_view();
}

bool SentencePiece::is_special(int32_t id) const {
  // T5's own special pieces (fairseq-mapped vocabularies list theirs as added tokens).
  if (id_offset_ == 0 && (id == eos_id_ || id == unk_id_ || id == pad_id_)) return true;
  if (spec_->added_tokens())
    for (const fb::AddedToken* a : *spec_->added_tokens())
      if (a->id() == id && a->special()) return true;
  return false;
}

// sentencepiece's decoder on a run of pieces: control pieces vanish, <unk> shows as " ⁇ ", the
// first piece loses its leading U+2581, every other U+2581 becomes a space.
std::string SentencePiece::decode_pieces(const int32_t* ids, size_t count) const {
  std::string out;
  bool bos = true;
  for (size_t i = 0; i < count; ++i) {
    const fb::PieceType type = fb::PieceType(types_[size_t(piece_of(ids[i]))]);
    if (type == fb::PieceType::Control) continue;
    if (type == fb::PieceType::Unknown) {
      out += " \xe2\x81\x87 ";
      bos = false;
      continue;
    }
    std::string_view piece = id_to_piece_[size_t(piece_of(ids[i]))];
    if (bos && piece.substr(0, 3) == kSpaceSymbol) piece.remove_prefix(3);
    bos = false;
    for (size_t p = 0; p < piece.size();) {
      if (piece.substr(p, 3) == kSpaceSymbol) out += ' ', p += 3;
      else out += piece[p++];
    }
  }
  return out;
}

namespace {
std::string strip(const std::string& s) {  // Python's str.strip() for the ASCII whitespace pieces carry
  const char* ws = " \t\n\r\v\f";
  const size_t a = s.find_first_not_of(ws), b = s.find_last_not_of(ws);
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}
}  // namespace

// T5Tokenizer.decode: ids beyond the pieces (extra ids) are sub-texts of their own; each run of
// pieces goes through convert_tokens_to_string (special pieces kept verbatim, each preceded by a
// space unless the previous token was special); sub-texts joined with spaces, then cleaned up.
std::string SentencePiece::decode(const int32_t* ids, size_t count, bool skip_special) const {
  if (spec_->concat_decode()) return decode_concat(ids, count, skip_special);
  std::vector<std::string> sub_texts;
  auto tokens_to_string = [&](const int32_t* run, size_t len) {
    std::string out;
    size_t start = 0;
    bool prev_special = false;
    for (size_t i = 0; i < len; ++i) {
      if (!is_special(run[i])) {
        prev_special = false;
        continue;
      }
      if (!prev_special) out += ' ';
      out += decode_pieces(run + start, i - start);
      out += std::string(token_text(run[i]));
      prev_special = true;
      start = i + 1;
    }
    out += decode_pieces(run + start, len - start);
    return strip(out);
  };
  std::vector<int32_t> run;
  for (size_t i = 0; i < count; ++i) {
    const int32_t id = ids[i];
    if (token_text(id).empty()) continue;
    if (skip_special && is_special(id)) continue;
    if (piece_of(id) < 0) {
      if (!run.empty()) {
        std::string s = tokens_to_string(run.data(), run.size());
        if (!s.empty()) sub_texts.push_back(s);
        run.clear();
      }
      sub_texts.emplace_back(token_text(id));
      continue;
    }
    run.push_back(id);
  }
  if (!run.empty()) sub_texts.push_back(tokens_to_string(run.data(), run.size()));
  std::string text;
  for (size_t i = 0; i < sub_texts.size(); ++i) text += (i ? " " : "") + sub_texts[i];
  clean_up_tokenization(&text);
  return text;
}

// XLMRobertaTokenizer.convert_tokens_to_string: "".join(tokens).replace(U+2581, " ").strip(),
// special tokens skipped or kept as their text; then clean_up_tokenization.
std::string SentencePiece::decode_concat(const int32_t* ids, size_t count, bool skip_special) const {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    if (skip_special && is_special(ids[i])) continue;
    const std::string_view t = token_text(ids[i]);
    for (size_t p = 0; p < t.size();) {
      if (t.substr(p, 3) == kSpaceSymbol) text += ' ', p += 3;
      else text += t[p++];
    }
  }
  text = strip(text);
  clean_up_tokenization(&text);
  return text;
}

}  // namespace tern
