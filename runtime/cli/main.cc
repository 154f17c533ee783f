// tern: the command-line front end (info, classify, tokenize, run). Exit codes: 0 ok, 1 bad input
// or model (one line on stderr), 2 usage.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/bench_ids.h"
#include "cli/npy.h"
#include "cli/peak_rss.h"
#include "tasks/model_impl.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tasks.h"
#include "tern/version.h"

namespace {

using namespace tern;

const char kUsage[] =
    "usage: tern info MODEL.tern\n"
    "       tern classify MODEL.tern TEXT... [--json] [--max-seq N] [--truncate]\n"
    "       tern embed MODEL.tern TEXT... [--json] [--max-seq N] [--truncate]\n"
    "       tern tokenize MODEL.tern TEXT... | --decode ID...\n"
    "       tern generate MODEL.tern TEXT... [--num-beams N] [--max-new-tokens N] [--min-length N]\n"
    "                [--length-penalty F] [--no-repeat-ngram-size N] [--early-stopping]\n"
    "                [--do-sample --temperature F --top-k N --top-p F --seed N]\n"
    "                [--num-return-sequences N]\n"
    "                [--input-ids IDS.npy [--attention-mask MASK.npy] --output OUT.npy\n"
    "                 [--output-scores SCORES.npy]]\n"
    "       tern bench MODEL.tern [--batch B] [--seq S] [--new-tokens N] [--num-beams K]\n"
    "                [--runs R] [--json]\n"
    "       tern run MODEL.tern --inputs DIR --outputs DIR [--output-hidden-states]\n"
    "                [--output-attentions]\n"
    "common: --threads N  --isa auto|ref|avx2|avxvnni|avx512vnni|neon|neondot|i8mm\n"
    "  run reads DIR/input_ids.npy [attention_mask.npy, token_type_ids.npy] (int64 or int32)\n"
    "  and writes float32 .npy files named as Hugging Face's outputs (logits, pooler_output,\n"
    "  last_hidden_state, hidden_states.N, attentions.N, sentence_embedding; T5: decoder_input_ids.npy,\n"
    "  decoder_attention_mask.npy in, encoder_last_hidden_state, logits,\n"
    "  encoder_hidden_states.N, decoder_hidden_states.N out).\n"
    "  generate defaults come from the model (its generation config, or the task whose prefix\n"
    "  the text starts with); flags override them. --min-length counts generated tokens.\n"
    "  classify prints the best label (multi-label: every label scoring 0.5 or more) or, for\n"
    "  token classification, the entities (grouped as the ner pipeline's \"simple\" strategy;\n"
    "  JSON offsets count characters).\n";

// A usage error is one line; the whole text is what --help is for.
[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "tern: %s (see tern --help)\n", msg.c_str());
  std::exit(2);
}

int fail(const Status& s) {
  std::fprintf(stderr, "tern: error: %s\n", s.message());
  return 1;
}

struct Args {
  std::string command, model;
  std::vector<std::string> positional;
  std::string inputs, outputs, input_ids, attention_mask, output, output_scores;
  // generate: flags given on the command line override the model's defaults
  struct {
    int num_beams = -1, max_new_tokens = -1, min_length = -1, no_repeat = -1, top_k = -1, num_return = -1;
    float length_penalty = NAN, temperature = NAN, top_p = NAN;
    bool early_stopping = false, do_sample = false;
    long long seed = -1;
  } gen;
  bool json = false, decode = false, hidden = false, attentions = false, truncate = false;
  size_t threads = 1, max_seq = 0;
  size_t bench_batch = 1, bench_seq = 128, bench_new_tokens = 32, bench_runs = 20;
  Isa isa = Isa::kAuto;
};

size_t parse_count(const char* flag, const char* v) {
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (!*v || *end || n < 1 || n > 1 << 20) usage(std::string(flag) + " takes a positive integer");
  return size_t(n);
}

long long parse_number(const char* flag, const char* v, long long lo, long long hi) {
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) usage(std::string(flag) + " takes an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return n;
}

float parse_float(const char* flag, const char* v) {
  char* end = nullptr;
  float f = std::strtof(v, &end);
  if (!*v || *end || !std::isfinite(f)) usage(std::string(flag) + " takes a number");
  return f;
}

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2) usage("no command");
  a.command = argv[1];
  if (a.command == "-h" || a.command == "--help" || a.command == "help") {
    std::fputs(kUsage, stdout);
    std::exit(0);
  }
  if (a.command == "--version") {
    std::printf("tern %s (model format %s)\n", tern::version(), TERN_FORMAT_VERSION_STRING);
    std::exit(0);
  }
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(s + " needs a value");
      return argv[++i];
    };
    if (s == "--json") a.json = true;
    else if (s == "--decode") a.decode = true;
    else if (s == "--truncate") a.truncate = true;
    else if (s == "--output-hidden-states") a.hidden = true;
    else if (s == "--output-attentions") a.attentions = true;
    else if (s == "--inputs") a.inputs = value();
    else if (s == "--outputs") a.outputs = value();
    else if (s == "--threads") a.threads = parse_count("--threads", value());
    else if (s == "--max-seq") a.max_seq = parse_count("--max-seq", value());
    else if (s == "--batch") a.bench_batch = parse_count("--batch", value());
    else if (s == "--seq") a.bench_seq = parse_count("--seq", value());
    else if (s == "--new-tokens") a.bench_new_tokens = parse_count("--new-tokens", value());
    else if (s == "--runs") a.bench_runs = parse_count("--runs", value());
    else if (s == "--input-ids") a.input_ids = value();
    else if (s == "--attention-mask") a.attention_mask = value();
    else if (s == "--output") a.output = value();
    else if (s == "--output-scores") a.output_scores = value();
    else if (s == "--num-beams") a.gen.num_beams = int(parse_count("--num-beams", value()));
    else if (s == "--max-new-tokens") a.gen.max_new_tokens = int(parse_count("--max-new-tokens", value()));
    else if (s == "--min-length") a.gen.min_length = int(parse_number("--min-length", value(), 0, 1 << 20));
    else if (s == "--no-repeat-ngram-size") a.gen.no_repeat = int(parse_number("--no-repeat-ngram-size", value(), 0, 1 << 20));
    else if (s == "--top-k") a.gen.top_k = int(parse_number("--top-k", value(), 0, 1 << 24));
    else if (s == "--num-return-sequences") a.gen.num_return = int(parse_count("--num-return-sequences", value()));
    else if (s == "--seed") a.gen.seed = parse_number("--seed", value(), 0, (1ll << 62));
    else if (s == "--length-penalty") a.gen.length_penalty = parse_float("--length-penalty", value());
    else if (s == "--temperature") a.gen.temperature = parse_float("--temperature", value());
    else if (s == "--top-p") a.gen.top_p = parse_float("--top-p", value());
    else if (s == "--early-stopping") a.gen.early_stopping = true;
    else if (s == "--do-sample") a.gen.do_sample = true;
    else if (s == "--isa") {
      Result<Isa> isa = parse_isa(value());
      if (!isa.ok()) usage(isa.status().message());
      a.isa = isa.value();
    } else if (s.size() > 1 && s[0] == '-' && s[1] == '-') usage("unknown option " + s);
    else if (a.model.empty()) a.model = s;
    else a.positional.push_back(s);
  }
  if (a.model.empty()) usage("MODEL.tern is required");
  return a;
}

void print_json_string(const std::string& s) {
  std::putchar('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') std::printf("\\%c", c);
    else if (c < 0x20) std::printf("\\u%04x", c);
    else std::putchar(c);
  }
  std::putchar('"');
}

SessionOptions options_for(const Model& model, const Args& a, size_t batch) {
  SessionOptions o;
  o.max_batch = batch;
  if (model.arch() == Arch::kT5) {
    o.max_new_tokens = a.gen.max_new_tokens > 0 ? size_t(a.gen.max_new_tokens) : 256;
    o.max_beams = a.gen.num_beams > 0 ? size_t(a.gen.num_beams) : 8;
  }
  o.max_seq = a.max_seq;  // 0: the session takes the model's maximum
  o.truncate = a.truncate;
  o.isa = a.isa;
  o.threads = a.threads;
  o.output_hidden_states = a.hidden;
  o.output_attentions = a.attentions;
  return o;
}

void print_tensor_summary(const ModelImpl& m) {
  size_t bytes[3] = {0, 0, 0};
  float worst = 0;
  std::string worst_name;
  for (const TensorView& t : m.blob.tensors()) {
    bytes[int(t.dtype)] += t.bytes;
    if (t.quant_rel_error > worst) worst = t.quant_rel_error, worst_name = std::string(t.name);
  }
  std::printf("tensors:     %zu (f32 %zu B, f16 %zu B, int8 %zu B)\n", m.blob.tensors().size(), bytes[0], bytes[1], bytes[2]);
  if (!worst_name.empty()) std::printf("quant error: worst relative L2 %.3g in '%s'\n", worst, worst_name.c_str());
}

// What a session here runs on: the tier --isa (default auto) selects and its kernels, the tiers this
// build and CPU offer, and the second copy XNNPACK packs of the float-weight Linears, outside the
// arena (known only by making a session: XNNPACK reports what it allocated).
void print_session_facts(const Model& model, const SessionOptions& o) {
  std::printf("tiers:      ");
  for (Isa isa : kAllIsas)
    if (isa_built(isa)) std::printf(" %s%s", isa_name(isa), isa_supported(isa) ? "" : " (not on this CPU)");
  std::printf("\n");
  Result<std::unique_ptr<Session>> s = Session::create(model, o);
  if (!s.ok()) return;
  std::printf("isa:         %s: %s\n", isa_name(s.value()->isa()), s.value()->kernel_names());
  if (s.value()->xnnpack_operators() > 0)
    std::printf("xnnpack:     %zu bytes outside the arena (%zu operators: packed copies of the float Linear weights)\n",
                s.value()->xnnpack_bytes(), s.value()->xnnpack_operators());
  std::printf("arena plan:\n%s", s.value()->arena_plan().c_str());
}

// The tokenizer's kind, its special ids and its settings.
void print_tokenizer(const ModelImpl& m) {
  if (!m.tokenizer) {
    std::printf("tokenizer:   none (token ids only)\n");
    return;
  }
  const Tokenizer& t = *m.tokenizer;
  const SpecialIds& sp = t.special();
  std::printf("tokenizer:   %s; pad %d, cls/bos %d, sep/eos %d, unk %d, mask %d\n", t.kind_name(), sp.pad, sp.cls,
              sp.sep, sp.unk, sp.mask);
  const fb::Tokenizer& spec = *m.blob.model().tokenizer();
  if (const fb::WordPiece* wp = spec.wordpiece())
    std::printf("             %zu tokens, lower_case %d, strip_accents %d\n", t.wordpiece()->vocab_size(),
                wp->do_lower_case(), wp->strip_accents());
  if (const fb::SentencePiece* sp = spec.sentencepiece())
    std::printf("             %u pieces, vocab %d, %s\n", sp->pieces()->size(), sp->vocab_size(),
                sp->legacy() ? "legacy" : "legacy=False");
}

int info_t5(const Model& model, const Args& a) {
  const ModelImpl& m = model.impl();
  const T5Config& c = model.t5_config();
  std::printf("t5:          vocab %d, d_model %d, %d+%d layers, %d heads x d_kv %d, d_ff %d, %s%s, %s head\n",
              c.vocab_size, c.d_model, c.num_layers, c.num_decoder_layers, c.num_heads, c.d_kv, c.d_ff,
              c.gated ? "gated-" : "", activation_name(c.activation),
              c.tied_embeddings ? "tied" : "untied");
  std::printf("tokens:      decoder start %d, eos %d, pad %d\n", c.decoder_start_token_id, c.eos_token_id, c.pad_token_id);
  auto show = [](const char* what, const fb::GenerationConfig* g) {
    std::printf("%-12s", what);
    if (g->name() && g->name()->size()) std::printf(" %s", g->name()->c_str());
    if (g->prefix() && g->prefix()->size()) std::printf(" (prefix \"%s\")", g->prefix()->c_str());
    std::printf(" max_new_tokens %d, min_new_tokens %d, num_beams %d, length_penalty %g, no_repeat_ngram_size %d%s%s\n",
                g->max_new_tokens(), g->min_new_tokens(), g->num_beams(), g->length_penalty(),
                g->no_repeat_ngram_size(), g->early_stopping() ? ", early_stopping" : "", g->do_sample() ? ", do_sample" : "");
  };
  const fb::Model& fm = m.blob.model();
  if (fm.generation()) show("generation:", fm.generation());
  if (fm.tasks()) for (const auto* t : *fm.tasks()) show("task:", t);
  print_tokenizer(m);
  print_tensor_summary(m);
  SessionOptions o = options_for(model, a, 1);
  o.max_new_tokens = 128;
  o.max_beams = 4;
  Result<size_t> arena = Session::required_arena_bytes(model, o);
  if (arena.ok())
    std::printf("arena:       %zu bytes for batch 1, %zu source tokens, 128 new tokens, 4 beams\n", arena.value(),
                o.max_seq ? o.max_seq : 512);
  print_session_facts(model, o);
  return 0;
}

int info(const Model& model, const Args& a) {
  const ModelImpl& m = model.impl();
  const fb::Model& fm = m.blob.model();
  std::printf("file:        %s (%zu bytes, format %u.%u, by %s)\n", a.model.c_str(), model.file_bytes(),
              fm.version_major(), fm.version_minor(), fm.producer() ? fm.producer()->c_str() : "?");
  std::printf("arch:        %s (weights %s)\n", arch_name(model.arch()), fm.weights() ? fm.weights()->c_str() : "?");
  if (model.arch() == Arch::kT5) return info_t5(model, a);
  const EncoderConfig& c = model.encoder_config();
  std::printf("encoder:     vocab %d, hidden %d, layers %d, heads %d, ffn %d, %s, %s-norm\n",
              c.vocab_size, c.hidden_size, c.num_layers, c.num_heads, c.intermediate_size,
              activation_name(c.activation), c.norm_first ? "pre" : "post");
  if (c.embedding_size != c.hidden_size || c.num_layer_groups != c.num_layers)
    std::printf("             embeddings %d wide projected to %d, %d layer groups\n", c.embedding_size, c.hidden_size,
                c.num_layer_groups);
  std::printf("positions:   %d%s, token types %d\n", c.max_position_embeddings,
              c.positions_from_padding ? " (numbered after the padding id)" : "", c.type_vocab_size);
  static const char* const kScores[] = {"softmax", "sigmoid (multi-label)", "raw (regression)"};
  if (c.head == Head::kEmbedding)
    std::printf("head:        embedding (%s pooling%s)\n", c.pooling == Pooling::kMean ? "mean" : "first-token",
                c.normalize ? ", L2-normalized" : "");
  else
    std::printf("head:        %s, %s%s\n", head_name(c.head), kScores[int(c.label_output)],
                c.pooler ? (std::string(", pooler ") + activation_name(c.pooler_activation)).c_str() : "");
  std::printf("labels:      ");
  for (size_t i = 0; i < model.num_labels(); ++i)
    std::printf("%s%.*s", i ? ", " : "", int(model.label(i).size()), model.label(i).data());
  std::printf("\n");
  print_tokenizer(m);
  print_tensor_summary(m);
  SessionOptions o = options_for(model, a, 1);
  Result<size_t> arena = Session::required_arena_bytes(model, o);
  if (arena.ok())
    std::printf("arena:       %zu bytes for batch 1 x %zu tokens\n", arena.value(),
                o.max_seq ? o.max_seq : size_t(std::min(model.encoder_config().max_position_embeddings, 512)));
  print_session_facts(model, o);
  return 0;
}

// Characters (code points) before byte `at` of UTF-8 text: Python's string offsets.
size_t char_offset(std::string_view text, size_t at) {
  size_t n = 0;
  for (size_t i = 0; i < at && i < text.size(); ++i) n += (uint8_t(text[i]) & 0xC0) != 0x80;
  return n;
}

void print_entities(const Classifier& c, const std::string& text, double ms, bool json) {
  size_t count = 0;
  const Entity* e = c.entities(0, &count);
  if (!json) {
    std::printf("%7.2f ms  %s\n", ms, text.c_str());
    for (size_t k = 0; k < count; ++k)
      std::printf("  %-10.*s %.4f  [%u, %u)  %.*s\n", int(e[k].group.size()), e[k].group.data(), e[k].score,
                  e[k].begin, e[k].end, int(e[k].end - e[k].begin), text.data() + e[k].begin);
    return;
  }
  std::printf(", \"ms\": %.3f, \"entities\": [", ms);
  for (size_t k = 0; k < count; ++k) {
    std::printf("%s{\"entity_group\": ", k ? ", " : "");
    print_json_string(std::string(e[k].group));
    std::printf(", \"score\": %.6f, \"word\": ", e[k].score);
    print_json_string(text.substr(e[k].begin, e[k].end - e[k].begin));
    std::printf(", \"start\": %zu, \"end\": %zu}", char_offset(text, e[k].begin), char_offset(text, e[k].end));
  }
  std::printf("]}");
}

void print_scores(const Model& model, const Classifier& c, const std::string& text, double ms, bool json) {
  const float* p = c.scores(0);
  const size_t best = c.label(0);
  if (json) {
    std::printf(", \"label\": ");
    print_json_string(std::string(model.label(best)));
    std::printf(", \"score\": %.6f, \"ms\": %.3f, \"%s\": {", p[best], ms, c.multi_label() ? "scores" : "probabilities");
    for (size_t j = 0; j < model.num_labels(); ++j) {
      std::printf("%s", j ? ", " : "");
      print_json_string(std::string(model.label(j)));
      std::printf(": %.6f", p[j]);
    }
    std::printf("}}");
  } else if (c.multi_label()) {  // every label the model gives at least even odds
    std::string labels;
    for (size_t j = 0; j < model.num_labels(); ++j)
      if (p[j] >= 0.5f) labels += (labels.empty() ? "" : ",") + std::string(model.label(j));
    std::printf("%-12s %.4f  %7.2f ms  %s\n", labels.empty() ? "(none)" : labels.c_str(), p[best], ms, text.c_str());
  } else {
    std::printf("%-12s %.4f  %7.2f ms  %s\n", std::string(model.label(best)).c_str(), p[best], ms, text.c_str());
  }
}

int classify(const Model& model, const Args& a) {
  if (a.positional.empty()) usage("classify needs at least one TEXT");
  Result<std::unique_ptr<Classifier>> classifier = Classifier::create(model, options_for(model, a, 1));
  if (!classifier.ok()) return fail(classifier.status());
  Classifier& c = *classifier.value();
  if (a.json) std::printf("[");
  for (size_t i = 0; i < a.positional.size(); ++i) {
    const std::string_view text = a.positional[i];
    auto t0 = std::chrono::steady_clock::now();
    Status st = c.classify(&text, nullptr, 1);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) return fail(st);
    if (a.json) {
      std::printf("%s\n {\"text\": ", i ? "," : "");
      print_json_string(a.positional[i]);
    }
    if (c.head() == Head::kTokenClassification) print_entities(c, a.positional[i], ms, a.json);
    else print_scores(model, c, a.positional[i], ms, a.json);
  }
  if (a.json) std::printf("\n]\n");
  return 0;
}

int embed(const Model& model, const Args& a) {
  if (a.positional.empty()) usage("embed needs at least one TEXT");
  Result<std::unique_ptr<Embedder>> embedder = Embedder::create(model, options_for(model, a, 1));
  if (!embedder.ok()) return fail(embedder.status());
  Embedder& e = *embedder.value();
  if (a.json) std::printf("[");
  for (size_t i = 0; i < a.positional.size(); ++i) {
    const std::string_view text = a.positional[i];
    Status st = e.embed(&text, 1);
    if (!st.ok()) return fail(st);
    const float* v = e.embedding(0);
    if (a.json) {
      std::printf("%s\n {\"text\": ", i ? "," : "");
      print_json_string(a.positional[i]);
      std::printf(", \"embedding\": [");
    }
    for (size_t j = 0; j < e.dim(); ++j) std::printf(a.json ? "%s%.7g" : "%s%.6f", j ? (a.json ? ", " : " ") : "", v[j]);
    std::printf(a.json ? "]}" : "\n");
  }
  if (a.json) std::printf("\n]\n");
  return 0;
}

int tokenize(const Model& model, const Args& a) {
  if (!model.has_tokenizer()) return fail(Status::error(Code::kInvalidArgument, "this model has no tokenizer"));
  if (a.decode) {
    std::vector<int32_t> ids;
    for (const std::string& s : a.positional) {
      char* end = nullptr;
      long id = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end || id < 0 || id >= (model.arch() == Arch::kT5 ? model.t5_config().vocab_size : model.encoder_config().vocab_size))
        return fail(Status::error(Code::kInvalidArgument, "--decode: '%s' is not a token id of this model", s.c_str()));
      ids.push_back(int32_t(id));
    }
    std::printf("%s\n", model.decode(ids.data(), ids.size()).c_str());
    return 0;
  }
  for (const std::string& text : a.positional) {
    Result<std::vector<int32_t>> ids = model.tokenize(text);
    if (!ids.ok()) return fail(ids.status());
    for (size_t i = 0; i < ids->size(); ++i) std::printf("%s%d", i ? " " : "", (*ids)[i]);
    std::printf("\n");
  }
  return 0;
}

int run(const Model& model, const Args& a) {
  if (a.inputs.empty() || a.outputs.empty()) usage("run needs --inputs DIR and --outputs DIR");
  cli::NpyArray ids, mask, types;
  Status st = cli::read_npy(a.inputs + "/input_ids.npy", &ids);
  if (!st.ok()) return fail(st);
  if (ids.is_float || ids.shape.size() != 2)
    return fail(Status::error(Code::kInvalidArgument, "input_ids.npy must be an integer [batch, seq] array"));
  auto optional = [&](const char* name, cli::NpyArray* arr) -> Status {
    std::string path = a.inputs + "/" + name;
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) std::fclose(f);
    else return Status();
    TERN_RETURN_IF_ERROR(cli::read_npy(path, arr));
    TERN_CHECK_OR_RETURN(!arr->is_float && arr->shape == ids.shape, Code::kInvalidArgument,
                         "%s: must be an integer array shaped like input_ids", name);
    return Status();
  };
  if (!(st = optional("attention_mask.npy", &mask)).ok()) return fail(st);
  if (!(st = optional("token_type_ids.npy", &types)).ok()) return fail(st);
  cli::NpyArray dec_ids, dec_mask;
  if (model.arch() == Arch::kT5) {
    std::string path = a.inputs + "/decoder_input_ids.npy";
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      std::fclose(f);
      if (!(st = cli::read_npy(path, &dec_ids)).ok()) return fail(st);
      if (dec_ids.is_float || dec_ids.shape.size() != 2 || dec_ids.shape[0] != ids.shape[0])
        return fail(Status::error(Code::kInvalidArgument, "decoder_input_ids.npy must be integer [batch, length]"));
      path = a.inputs + "/decoder_attention_mask.npy";
      if ((f = std::fopen(path.c_str(), "rb"))) {
        std::fclose(f);
        if (!(st = cli::read_npy(path, &dec_mask)).ok()) return fail(st);
        if (dec_mask.is_float || dec_mask.shape != dec_ids.shape)
          return fail(Status::error(Code::kInvalidArgument, "decoder_attention_mask.npy must be shaped like decoder_input_ids"));
      }
    }
  }
  const size_t batch = size_t(ids.shape[0]), seq = size_t(ids.shape[1]);
  Args b = a;
  if (!b.max_seq) b.max_seq = seq;
  if (!dec_ids.shape.empty()) b.gen.max_new_tokens = int(std::max<int64_t>(1, dec_ids.shape[1] - 1));
  b.gen.num_beams = 1;
  Result<std::unique_ptr<Session>> session = Session::create(model, options_for(model, b, batch));
  if (!session.ok()) return fail(session.status());
  Inputs in;
  in.batch = batch;
  in.seq = seq;
  in.input_ids = ids.ints.data();
  in.attention_mask = mask.ints.empty() ? nullptr : mask.ints.data();
  in.token_type_ids = types.ints.empty() ? nullptr : types.ints.data();
  if (!dec_ids.shape.empty()) {
    in.decoder_seq = size_t(dec_ids.shape[1]);
    in.decoder_input_ids = dec_ids.ints.data();
    in.decoder_attention_mask = dec_mask.ints.empty() ? nullptr : dec_mask.ints.data();
  }
  if (!(st = session.value()->run(in)).ok()) return fail(st);
  for (size_t i = 0; i < session.value()->num_outputs(); ++i) {
    const OutputTensor& t = session.value()->output(i);
    if (!t.data) continue;
    std::vector<int64_t> shape(t.shape, t.shape + t.rank);
    if (!(st = cli::write_npy_f32(a.outputs + "/" + t.name + ".npy", shape, t.data)).ok()) return fail(st);
  }
  return 0;
}

GenerationOptions generation_options(const Session& s, const Args& a, std::string_view text) {
  GenerationOptions o = s.generation_defaults(text);
  const auto& g = a.gen;
  if (g.num_beams > 0) o.num_beams = g.num_beams;
  if (g.max_new_tokens > 0) o.max_new_tokens = g.max_new_tokens;
  if (g.min_length >= 0) o.min_new_tokens = g.min_length;
  if (g.no_repeat >= 0) o.no_repeat_ngram_size = g.no_repeat;
  if (g.top_k >= 0) o.top_k = g.top_k;
  if (g.num_return > 0) o.num_return_sequences = g.num_return;
  if (!std::isnan(g.length_penalty)) o.length_penalty = g.length_penalty;
  if (!std::isnan(g.temperature)) o.temperature = g.temperature;
  if (!std::isnan(g.top_p)) o.top_p = g.top_p;
  if (g.early_stopping) o.early_stopping = true;
  if (g.do_sample) o.do_sample = true;
  if (g.seed >= 0) o.seed = uint64_t(g.seed);
  return o;
}

// Token ids in (.npy), token ids out, laid out as Hugging Face's generate() returns them.
int generate_ids(const Model& model, const Args& a) {
  if (a.output.empty()) usage("--input-ids needs --output OUT.npy");
  cli::NpyArray ids, mask;
  Status st = cli::read_npy(a.input_ids, &ids);
  if (!st.ok()) return fail(st);
  if (ids.is_float || ids.shape.size() != 2)
    return fail(Status::error(Code::kInvalidArgument, "%s: must be an integer [batch, seq] array", a.input_ids.c_str()));
  if (!a.attention_mask.empty()) {
    if (!(st = cli::read_npy(a.attention_mask, &mask)).ok()) return fail(st);
    if (mask.is_float || mask.shape != ids.shape)
      return fail(Status::error(Code::kInvalidArgument, "%s: must be shaped like the input ids", a.attention_mask.c_str()));
  }
  const size_t batch = size_t(ids.shape[0]), seq = size_t(ids.shape[1]);
  Args b = a;
  if (!b.max_seq) b.max_seq = seq;
  auto session = Session::create(model, options_for(model, b, batch));
  if (!session.ok()) return fail(session.status());
  Session& s = *session.value();
  GenerationOptions o = generation_options(s, a, "");
  if (!(st = s.generate(ids.ints.data(), mask.ints.empty() ? nullptr : mask.ints.data(), batch, seq, o)).ok())
    return fail(st);
  const Generated& g = s.generated();
  std::vector<int64_t> out(g.tokens, g.tokens + g.sequences * g.length);
  if (!(st = cli::write_npy_i64(a.output, {int64_t(g.sequences), int64_t(g.length)}, out.data())).ok()) return fail(st);
  if (!a.output_scores.empty()) {
    if (!g.scores) return fail(Status::error(Code::kInvalidArgument, "--output-scores needs beam search (--num-beams > 1)"));
    if (!(st = cli::write_npy_f32(a.output_scores, {int64_t(g.sequences)}, g.scores)).ok()) return fail(st);
  }
  return 0;
}

int generate(const Model& model, const Args& a) {
  if (model.arch() != Arch::kT5) return fail(Status::error(Code::kInvalidArgument, "generate: %s is not an encoder-decoder", a.model.c_str()));
  if (!a.input_ids.empty()) return generate_ids(model, a);
  if (a.positional.empty()) usage("generate needs TEXT... or --input-ids IDS.npy");
  auto session = Session::create(model, options_for(model, a, 1));
  if (!session.ok()) return fail(session.status());
  Session& s = *session.value();
  for (const std::string& text : a.positional) {
    const GenerationOptions o = generation_options(s, a, text);
    std::string_view t = text;
    auto t0 = std::chrono::steady_clock::now();
    Status st = s.generate(&t, 1, o);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) return fail(st);
    const Generated& g = s.generated();
    for (size_t i = 0; i < g.sequences; ++i) {
      std::string out = model.decode(g.tokens + i * g.length, g.length);
      if (g.sequences > 1) std::printf("[%zu] ", i);
      std::printf("%s\n", out.c_str());
    }
    std::printf("    (%.1f ms, %zu new tokens, %s)\n", ms, g.length - 1, isa_name(s.isa()));
  }
  return 0;
}

int bench(const Model& model, const Args& a) {
  // Model::load again under the clock: what a user's app pays at start-up (file already cached).
  auto t0 = std::chrono::steady_clock::now();
  auto reloaded = Model::load(a.model.c_str());
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!reloaded.ok()) return fail(reloaded.status());
  const bool t5 = model.arch() == Arch::kT5;
  const int vocab = t5 ? model.t5_config().vocab_size : model.encoder_config().vocab_size;
  const size_t B = a.bench_batch, S = a.bench_seq, beams = a.gen.num_beams > 0 ? size_t(a.gen.num_beams) : 1;
  SessionOptions o;
  o.max_batch = B;
  o.max_seq = S;
  o.max_new_tokens = a.bench_new_tokens;
  o.max_beams = beams;
  o.isa = a.isa;
  o.threads = a.threads;
  t0 = std::chrono::steady_clock::now();
  auto session = Session::create(model, o);
  if (!session.ok()) return fail(session.status());
  Session& s = *session.value();
  std::vector<int64_t> ids = cli::bench_ids(B * S, vocab);
  if (t5) for (size_t b = 0; b < B; ++b) ids[b * S + S - 1] = model.t5_config().eos_token_id;
  GenerationOptions g;
  g.max_new_tokens = g.min_new_tokens = int(a.bench_new_tokens);  // always the full length
  g.num_beams = int(beams);
  auto once = [&]() -> Status {
    if (t5) return s.generate(ids.data(), nullptr, B, S, g);
    Inputs in;
    in.batch = B;
    in.seq = S;
    in.input_ids = ids.data();
    return s.run(in);
  };
  Status st = once();  // warm-up, and the first-result time after load
  const double first_ms = load_ms + std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) return fail(st);
  std::vector<double> ms;
  for (size_t r = 0; r < a.bench_runs; ++r) {
    auto t1 = std::chrono::steady_clock::now();
    if (!(st = once()).ok()) return fail(st);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2], p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  const double per_token = t5 ? median / double(a.bench_new_tokens) : 0;
  if (a.json) {
    std::printf("{\"model\": \"%s\", \"arch\": \"%s\", \"batch\": %zu, \"seq\": %zu, \"new_tokens\": %zu, "
                "\"num_beams\": %zu, \"threads\": %zu, \"isa\": \"%s\", \"runs\": %zu, \"median_ms\": %.3f, "
                "\"p90_ms\": %.3f, \"ms_per_token\": %.4f, \"load_ms\": %.3f, \"first_result_ms\": %.3f, "
                "\"arena_bytes\": %zu, \"xnnpack_bytes\": %zu, \"file_bytes\": %zu, \"peak_rss_bytes\": %zu, \"kernels\": \"%s\"}\n",
                a.model.c_str(), arch_name(model.arch()), B, S, t5 ? a.bench_new_tokens : 0, beams, a.threads,
                isa_name(s.isa()), ms.size(), median, p90, per_token, load_ms, first_ms, s.arena_bytes(),
                s.xnnpack_bytes(), model.file_bytes(), peak_rss_bytes(), s.kernel_names());
    return 0;
  }
  std::printf("model:      %s (%s, %zu bytes)\n", a.model.c_str(), arch_name(model.arch()), model.file_bytes());
  std::printf("workload:   batch %zu x %zu tokens", B, S);
  if (t5) std::printf(", %zu new tokens, %zu beam(s)", a.bench_new_tokens, beams);
  std::printf("; %zu thread(s), isa %s\n", a.threads, isa_name(s.isa()));
  std::printf("latency:    median %.3f ms, p90 %.3f ms over %zu runs\n", median, p90, ms.size());
  if (t5) std::printf("generation: %.3f ms per new token, %.1f tokens/s\n", per_token, 1000.0 / per_token * double(B));
  std::printf("load:       %.3f ms; first result %.3f ms after load started\n", load_ms, first_ms);
  std::printf("memory:     arena %zu bytes, xnnpack %zu bytes (packed float weights), peak resident %zu bytes\n",
              s.arena_bytes(), s.xnnpack_bytes(), peak_rss_bytes());
  std::printf("kernels:    %s\n", s.kernel_names());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  using Command = int (*)(const Model&, const Args&);
  Command cmd = a.command == "info" ? info
              : a.command == "classify" ? classify
              : a.command == "embed" ? embed
              : a.command == "tokenize" ? tokenize
              : a.command == "run" ? run
              : a.command == "generate" ? generate
              : a.command == "bench" ? bench
              : nullptr;
  if (!cmd) usage("unknown command '" + a.command + "'");
  Result<std::unique_ptr<Model>> model = Model::load(a.model.c_str());
  if (!model.ok()) return fail(model.status());
  return cmd(*model.value(), a);
}
