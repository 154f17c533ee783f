// Model::describe and Session::describe: what `tern info` prints, as "label: values" lines or as
// one JSON object with a member per line group, from one list of facts so the two always agree.
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "tasks/model_impl.h"
#include "tasks/session_impl.h"
#include "tern/model.h"
#include "tern/session.h"

namespace tern {
namespace {

void append_json_string(std::string* out, std::string_view s) {
  *out += '"';
  for (unsigned char c : s) {
    char esc[8];
    if (c == '"' || c == '\\') *out += '\\', *out += char(c);
    else if (c < 0x20) std::snprintf(esc, sizeof esc, "\\u%04x", c), *out += esc;
    else *out += char(c);
  }
  *out += '"';
}

// Facts in groups: a text line starting "label:" or a JSON member `key`. Each value has a JSON key
// and a printf format for the text (nullptr: JSON only); text() is text only.
class Facts {
 public:
  explicit Facts(bool json) : json_(json) {}

  void group(const char* label, const char* key) {  // key nullptr: a group inside an array
    if (json_) {
      comma();
      if (key) appendf("\"%s\": ", key);
      out_ += '{';
      first_ = true;
    } else {
      appendf("%-13s", (std::string(label) + ":").c_str());
    }
  }
  void end_group() {
    if (json_) out_ += '}', first_ = false;
    else out_ += '\n';
  }
  void next_line() {  // text: a continuation line of the group
    if (!json_) appendf("\n%13s", "");
  }
  void array(const char* key) {  // JSON: an array of groups; text: their lines
    if (!json_) return;
    comma();
    appendf("\"%s\": [", key);
    first_ = true;
  }
  void end_array() {
    if (json_) out_ += ']', first_ = false;
  }
  void text(const char* s) {
    if (!json_) out_ += s;
  }
  void num(const char* key, long long v, const char* fmt) {
    if (json_) key_(key), appendf("%lld", v);
    else if (fmt) appendf(fmt, v);
  }
  void real(const char* key, double v, const char* fmt) {
    if (json_) key_(key), appendf("%.9g", v);
    else if (fmt) appendf(fmt, v);
  }
  void str(const char* key, std::string_view v, const char* fmt) {
    if (json_) key_(key), append_json_string(&out_, v);
    else if (fmt) appendf(fmt, std::string(v).c_str());
  }
  // Text: `if_true` or `if_false` (either may be nullptr, or hold one %s for the key).
  void flag(const char* key, bool v, const char* if_true, const char* if_false = nullptr) {
    const char* fmt = v ? if_true : if_false;
    if (json_) key_(key), out_ += v ? "true" : "false";
    else if (fmt) appendf(fmt, key);
  }
  void strings(const char* key, const std::vector<std::string_view>& v, const char* separator) {
    if (json_) key_(key), out_ += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out_ += json_ ? ", " : separator;
      if (json_) append_json_string(&out_, v[i]);
      else out_.append(v[i]);
    }
    if (json_) out_ += ']';
  }
  std::string finish() { return json_ ? "{" + out_ + "}" : out_; }

 private:
  __attribute__((format(printf, 2, 3))) void appendf(const char* fmt, ...) {
    char buf[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    out_ += buf;
  }
  void comma() {
    if (!first_) out_ += ", ";
    first_ = false;
  }
  void key_(const char* key) {
    comma();
    appendf("\"%s\": ", key);
  }
  bool json_;
  bool first_ = true;
  std::string out_;
};

void encoder_facts(Facts& f, const Model& model, const EncoderConfig& c) {
  f.group("encoder", "encoder");
  f.num("vocab", c.vocab_size, "vocab %lld");
  f.num("hidden", c.hidden_size, ", hidden %lld");
  f.num("layers", c.num_layers, ", layers %lld");
  f.num("heads", c.num_heads, ", heads %lld");
  f.num("ffn", c.intermediate_size, ", ffn %lld");
  f.str("activation", activation_name(c.activation), ", %s");
  f.str("norm", c.norm_first ? "pre" : "post", ", %s-norm");
  f.num("embedding_size", c.embedding_size, nullptr);
  f.num("layer_groups", c.num_layer_groups, nullptr);
  if (c.embedding_size != c.hidden_size || c.num_layer_groups != c.num_layers) {
    f.next_line();
    f.text(("embeddings " + std::to_string(c.embedding_size) + " wide projected to " + std::to_string(c.hidden_size) +
            ", " + std::to_string(c.num_layer_groups) + " layer groups").c_str());
  }
  f.end_group();
  f.group("positions", "positions");
  f.num("count", c.max_position_embeddings, "%lld");
  f.flag("from_padding", c.positions_from_padding, " (numbered after the padding id)");
  f.num("token_types", c.type_vocab_size, ", token types %lld");
  f.end_group();
  static const char* const kScores[] = {"softmax", "sigmoid (multi-label)", "raw (regression)"};
  f.group("head", "head");
  if (c.head == Head::kEmbedding) {
    f.str("kind", "embedding", "%s");
    f.str("pooling", c.pooling == Pooling::kMean ? "mean" : "first-token", " (%s pooling");
    f.flag("normalize", c.normalize, ", L2-normalized");
    f.text(")");
  } else {
    f.str("kind", head_name(c.head), "%s");
    // One sigmoid output is a single-label probability, not multi-label.
    const bool one_sigmoid = c.label_output == LabelOutput::kSigmoid && c.num_labels == 1;
    f.str("scores", one_sigmoid ? "sigmoid" : kScores[int(c.label_output)], ", %s");
    if (c.pooler) f.str("pooler", activation_name(c.pooler_activation), ", pooler %s");
  }
  f.end_group();
  std::vector<std::string_view> labels;
  for (size_t i = 0; i < model.num_labels(); ++i) labels.push_back(model.label(i));
  f.text("labels:      ");
  f.strings("labels", labels, ", ");
  f.text("\n");
}

void generation_facts(Facts& f, const char* what, const char* key, const fb::GenerationConfig* g) {
  f.group(what, key);
  if (g->name() && g->name()->size()) f.str("name", g->name()->string_view(), "%s ");
  if (g->prefix() && g->prefix()->size()) f.str("prefix", g->prefix()->string_view(), "(prefix \"%s\") ");
  f.num("max_new_tokens", g->max_new_tokens(), "max_new_tokens %lld");
  f.num("min_new_tokens", g->min_new_tokens(), ", min_new_tokens %lld");
  f.num("num_beams", g->num_beams(), ", num_beams %lld");
  f.real("length_penalty", g->length_penalty(), ", length_penalty %g");
  f.num("no_repeat_ngram_size", g->no_repeat_ngram_size(), ", no_repeat_ngram_size %lld");
  f.flag("early_stopping", g->early_stopping(), ", %s");
  f.flag("do_sample", g->do_sample(), ", %s");
  f.end_group();
}

void seq2seq_facts(Facts& f, const ModelImpl& m, const Seq2SeqConfig& c) {
  f.group("seq2seq", "seq2seq");
  f.num("vocab", c.vocab_size, "vocab %lld");
  if (!c.shared_embeddings) f.num("source_vocab", c.src_vocab_size, " (source %lld)");
  f.num("d_model", c.d_model, ", d_model %lld");
  f.num("layers", c.num_layers, ", %lld");
  f.num("decoder_layers", c.num_decoder_layers, "+%lld layers");
  f.num("heads", c.num_heads, ", %lld heads");
  f.num("d_kv", c.d_kv, " x d_kv %lld");
  f.num("d_ff", c.d_ff, ", d_ff %lld");
  f.flag("gated", c.gated, ", gated-", ", ");
  f.str("activation", activation_name(c.activation), "%s");
  f.flag("tied_embeddings", c.tied_embeddings, ", tied head", ", untied head");
  f.next_line();
  f.str("norm", c.norm == NormKind::kRms ? "rms" : "layer", "%s norm");
  f.str("norm_position", c.post_norm ? "post" : "pre", ", %s-norm");
  f.flag("biases", c.bias, ", biases");
  f.flag("scaled_attention", c.scale_attention, ", attention scaled", ", attention unscaled");
  if (c.relative_positions) {
    f.num("relative_position_buckets", c.relative_attention_num_buckets, ", relative positions (%lld buckets)");
  } else {
    f.num("positions", c.max_positions, ", %lld positions");
    f.real("embedding_scale", c.embedding_scale, ", embeddings x %g");
  }
  f.end_group();
  f.group("tokens", "tokens");
  f.num("decoder_start", c.decoder_start_token_id, "decoder start %lld");
  f.num("eos", c.eos_token_id, ", eos %lld");
  f.num("pad", c.pad_token_id, ", pad %lld");
  f.end_group();
  const fb::Model& fm = m.blob.model();
  if (fm.generation()) generation_facts(f, "generation", "generation", fm.generation());
  if (fm.tasks()) {
    f.array("tasks");
    for (const auto* t : *fm.tasks()) generation_facts(f, "task", nullptr, t);
    f.end_array();
  }
}

// The tokenizer's kind, its special ids and its settings.
void tokenizer_facts(Facts& f, const ModelImpl& m) {
  f.group("tokenizer", "tokenizer");
  if (!m.tokenizer) {
    f.str("kind", "none", "%s (token ids only)");
    f.end_group();
    return;
  }
  const Tokenizer& t = *m.tokenizer;
  const SpecialIds& sp = t.special();
  f.str("kind", t.kind_name(), "%s");
  f.num("pad", sp.pad, "; pad %lld");
  f.num("cls_bos", sp.cls, ", cls/bos %lld");
  f.num("sep_eos", sp.sep, ", sep/eos %lld");
  f.num("unk", sp.unk, ", unk %lld");
  f.num("mask", sp.mask, ", mask %lld");
  const fb::Tokenizer& spec = *m.blob.model().tokenizer();
  if (const fb::WordPiece* wp = spec.wordpiece()) {
    f.next_line();
    f.num("tokens", (long long)t.wordpiece()->vocab_size(), "%lld tokens");
    f.flag("lower_case", wp->do_lower_case(), ", %s 1", ", %s 0");
    f.flag("strip_accents", wp->strip_accents(), ", %s 1", ", %s 0");
  }
  if (const fb::SentencePiece* s = spec.sentencepiece()) {
    f.next_line();
    f.num("pieces", s->pieces()->size(), "%lld pieces");
    f.num("vocab", s->vocab_size(), ", vocab %lld");
    f.flag("legacy", s->legacy(), ", %s", ", legacy=False");
  }
  f.end_group();
}

void tensor_facts(Facts& f, const ModelImpl& m) {
  size_t bytes[3] = {0, 0, 0};
  float worst = 0;
  std::string_view worst_name;
  for (const TensorView& t : m.blob.tensors()) {
    bytes[int(t.dtype)] += t.bytes;
    if (t.quant_rel_error > worst) worst = t.quant_rel_error, worst_name = t.name;
  }
  f.group("tensors", "tensors");
  f.num("count", (long long)m.blob.tensors().size(), "%lld");
  f.num("f32_bytes", (long long)bytes[0], " (f32 %lld B");
  f.num("f16_bytes", (long long)bytes[1], ", f16 %lld B");
  f.num("int8_bytes", (long long)bytes[2], ", int8 %lld B)");
  f.end_group();
  if (worst_name.empty()) return;
  f.group("quant error", "quant_error");
  f.real("worst_relative_l2", worst, "worst relative L2 %.3g");
  f.str("tensor", worst_name, " in '%s'");
  f.end_group();
}

}  // namespace

std::string Model::describe(bool json) const {
  const ModelImpl& m = *impl_;
  const fb::Model& fm = m.blob.model();
  Facts f(json);
  f.group("file", "file");
  f.num("bytes", (long long)file_bytes(), "%lld bytes");
  f.str("format", std::to_string(fm.version_major()) + "." + std::to_string(fm.version_minor()), ", format %s");
  f.str("producer", fm.producer() ? fm.producer()->string_view() : "?", ", by %s");
  f.end_group();
  f.group("arch", "arch");
  f.str("name", arch_name(arch()), "%s");
  f.str("family", info().family, " (family %s");
  f.str("weights", fm.weights() ? fm.weights()->string_view() : "?", ", weights %s)");
  f.end_group();
  if (m.encoder_decoder()) seq2seq_facts(f, m, m.seq2seq);
  else encoder_facts(f, *this, m.encoder);
  tokenizer_facts(f, m);
  tensor_facts(f, m);
  return f.finish();
}

std::string Session::describe(bool json) const {
  const SessionImpl& s = *impl_;
  const SessionOptions& o = s.options;
  Facts f(json);
  f.group("arena", "arena");
  f.num("bytes", (long long)s.arena_bytes, "%lld bytes for");
  f.num("batch", (long long)o.max_batch, " batch %lld");
  if (s.model->encoder_decoder()) {
    f.num("source_tokens", (long long)o.max_seq, ", %lld source tokens");
    f.num("new_tokens", (long long)o.max_new_tokens, ", %lld new tokens");
    f.num("beams", (long long)o.max_beams, ", %lld beams");
  } else {
    f.num("tokens", (long long)o.max_seq, " x %lld tokens");
  }
  f.end_group();
  f.group("tiers", "tiers");
  bool first = true;
  for (Isa isa : kAllIsas) {
    if (!isa_built(isa)) continue;
    f.text(first ? "" : " ");
    const char* refusal = isa_refusal(isa);
    f.flag(isa_name(isa), refusal == nullptr, "%s", "%s (");
    if (refusal) f.text(refusal), f.text(")");
    first = false;
  }
  f.end_group();
  f.group("isa", "isa");
  f.str("name", isa_name(isa()), "%s");
  f.str("kernels", kernel_names(), ": %s");
  f.end_group();
  if (xnnpack_operators() > 0) {
    f.group("xnnpack", "xnnpack");
    f.num("bytes", (long long)xnnpack_bytes(), "%lld bytes outside the arena");
    f.num("operators", (long long)xnnpack_operators(), " (%lld operators: packed copies of the float Linear weights)");
    f.end_group();
  }
  // The plan is text already: its lines, as lines or as a JSON array of strings.
  const std::string plan = arena_plan();
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < plan.size();) {
    size_t nl = plan.find('\n', at);
    if (nl == std::string::npos) nl = plan.size();
    lines.emplace_back(plan.data() + at, nl - at);
    at = nl + 1;
  }
  f.text("arena plan:\n");
  f.strings("arena_plan", lines, "\n");
  f.text("\n");
  return f.finish();
}

}  // namespace tern
