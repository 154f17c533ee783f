// tern: the command-line front end (info, classify, embed, tokenize, generate, bench, run). Exit
// codes: 0 ok, 1 bad input or model (one line on stderr), 2 usage (one line on stderr).
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
#include "cli/text_stream.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tasks.h"
#include "tern/version.h"

namespace {

using namespace tern;

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
  bool help = false;
  std::string inputs, outputs, input_ids, attention_mask, output, output_scores;
  // generate: flags given on the command line override the model's defaults
  struct {
    int num_beams = -1, max_new_tokens = -1, min_length = -1, no_repeat = -1, top_k = -1, num_return = -1;
    float length_penalty = NAN, temperature = NAN, top_p = NAN;
    bool early_stopping = false, do_sample = false;
    long long seed = -1;
  } gen;
  bool json = false, decode = false, hidden = false, attentions = false, truncate = false, stream = false;
  size_t threads = 1, max_seq = 0;
  size_t bench_batch = 1, bench_seq = 0, bench_new_tokens = 32, bench_runs = 20;  // bench_seq 0: fit the model
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

// The commands, as bits: each option row below names the commands that take it.
enum CommandBit : unsigned {
  kInfo = 1u << 0, kClassify = 1u << 1, kEmbed = 1u << 2, kTokenize = 1u << 3, kGenerate = 1u << 4,
  kBench = 1u << 5, kRun = 1u << 6,
  kAll = (1u << 7) - 1,
};

// One row per option: the parser accepts exactly the rows of a command, and `tern COMMAND --help`
// prints exactly those rows, so the two cannot drift (tests/cli_help.sh checks the help of every
// command against this table and against the parser). A name may have one row per set of commands
// where its meaning or default differs (--num-beams). Each row's first line holds its name, value
// and commands: the test reads them from there.
struct Option {
  const char* name;      // "--num-beams"
  const char* value;     // what its value is called in the help ("N"); nullptr: a flag
  unsigned commands;     // CommandBits
  const char* fallback;  // the default, for the help
  const char* help;
  void (*set)(Args& a, const char* name, const char* value);  // value: nullptr for a flag
};

const Option kOptions[] = {
  {"--json", nullptr, kInfo | kClassify | kEmbed | kBench, "off",
   "print JSON instead of text", [](Args& a, const char*, const char*) { a.json = true; }},
  {"--max-seq", "N", kInfo | kClassify | kEmbed | kGenerate, "the model's maximum, at most 512",
   "tokens per input the session plans for, special tokens included",
   [](Args& a, const char* n, const char* v) { a.max_seq = parse_count(n, v); }},
  {"--truncate", nullptr, kClassify | kEmbed | kGenerate, "off: an error",
   "cut texts longer than --max-seq (Hugging Face's longest_first)", [](Args& a, const char*, const char*) { a.truncate = true; }},
  {"--decode", nullptr, kTokenize, "off",
   "the arguments are token ids: print their text", [](Args& a, const char*, const char*) { a.decode = true; }},
  {"--num-beams", "N", kGenerate, "the model's",
   "beams of beam search", [](Args& a, const char* n, const char* v) { a.gen.num_beams = int(parse_count(n, v)); }},
  {"--max-new-tokens", "N", kGenerate, "the model's",
   "generate at most N tokens", [](Args& a, const char* n, const char* v) { a.gen.max_new_tokens = int(parse_count(n, v)); }},
  {"--min-length", "N", kGenerate, "the model's",
   "generate at least N tokens (counts new tokens only)",
   [](Args& a, const char* n, const char* v) { a.gen.min_length = int(parse_number(n, v, 0, 1 << 20)); }},
  {"--length-penalty", "F", kGenerate, "the model's",
   "beam search: exponent of the length dividing a hypothesis' score",
   [](Args& a, const char* n, const char* v) { a.gen.length_penalty = parse_float(n, v); }},
  {"--no-repeat-ngram-size", "N", kGenerate, "the model's",
   "never repeat an n-gram of this size (0: off)",
   [](Args& a, const char* n, const char* v) { a.gen.no_repeat = int(parse_number(n, v, 0, 1 << 20)); }},
  {"--early-stopping", nullptr, kGenerate, "the model's",
   "beam search: stop when num_beams hypotheses are finished", [](Args& a, const char*, const char*) { a.gen.early_stopping = true; }},
  {"--do-sample", nullptr, kGenerate, "the model's",
   "sample instead of searching", [](Args& a, const char*, const char*) { a.gen.do_sample = true; }},
  {"--temperature", "F", kGenerate, "the model's",
   "sampling: divide the logits by F", [](Args& a, const char* n, const char* v) { a.gen.temperature = parse_float(n, v); }},
  {"--top-k", "N", kGenerate, "the model's",
   "sampling: from the N likeliest tokens (0: all)",
   [](Args& a, const char* n, const char* v) { a.gen.top_k = int(parse_number(n, v, 0, 1 << 24)); }},
  {"--top-p", "F", kGenerate, "the model's",
   "sampling: from the likeliest tokens whose probabilities sum to F",
   [](Args& a, const char* n, const char* v) { a.gen.top_p = parse_float(n, v); }},
  {"--seed", "N", kGenerate, "0",
   "sampling: the random seed (same seed, same text; not PyTorch's draws)",
   [](Args& a, const char* n, const char* v) { a.gen.seed = parse_number(n, v, 0, 1ll << 62); }},
  {"--num-return-sequences", "N", kGenerate, "1",
   "return the N best hypotheses (at most --num-beams) or N samples",
   [](Args& a, const char* n, const char* v) { a.gen.num_return = int(parse_count(n, v)); }},
  {"--stream", nullptr, kGenerate, "off",
   "print the text as it is generated (greedy and sampling; beam search prints it when done)",
   [](Args& a, const char*, const char*) { a.stream = true; }},
  {"--input-ids", "IDS.npy", kGenerate, "none: texts",
   "generate from token ids [batch, seq] (int64 or int32) instead of texts",
   [](Args& a, const char*, const char* v) { a.input_ids = v; }},
  {"--attention-mask", "MASK.npy", kGenerate, "all ones",
   "with --input-ids: the mask, shaped like the ids", [](Args& a, const char*, const char* v) { a.attention_mask = v; }},
  {"--output", "OUT.npy", kGenerate, "required with --input-ids",
   "with --input-ids: write the sequences, int64, as generate() returns them",
   [](Args& a, const char*, const char* v) { a.output = v; }},
  {"--output-scores", "SCORES.npy", kGenerate, "none",
   "with --input-ids and beam search: write the sequences' scores, float32",
   [](Args& a, const char*, const char* v) { a.output_scores = v; }},
  {"--batch", "B", kBench, "1",
   "sequences per run", [](Args& a, const char* n, const char* v) { a.bench_batch = parse_count(n, v); }},
  {"--seq", "S", kBench, "min(128, the model's maximum)",
   "tokens per sequence", [](Args& a, const char* n, const char* v) { a.bench_seq = parse_count(n, v); }},
  {"--new-tokens", "N", kBench, "32",
   "T5: tokens generated per run (always all N)", [](Args& a, const char* n, const char* v) { a.bench_new_tokens = parse_count(n, v); }},
  {"--num-beams", "K", kBench, "1",
   "T5: beams of beam search", [](Args& a, const char* n, const char* v) { a.gen.num_beams = int(parse_count(n, v)); }},
  {"--runs", "R", kBench, "20",
   "timed runs after one warm-up", [](Args& a, const char* n, const char* v) { a.bench_runs = parse_count(n, v); }},
  {"--inputs", "DIR", kRun, "required",
   "read DIR/input_ids.npy and the other inputs there", [](Args& a, const char*, const char* v) { a.inputs = v; }},
  {"--outputs", "DIR", kRun, "required",
   "write the outputs as DIR/NAME.npy, float32", [](Args& a, const char*, const char* v) { a.outputs = v; }},
  {"--output-hidden-states", nullptr, kRun, "off",
   "also write hidden_states.N (T5: encoder_ and decoder_hidden_states.N)",
   [](Args& a, const char*, const char*) { a.hidden = true; }},
  {"--output-attentions", nullptr, kRun, "off",
   "also write attentions.N", [](Args& a, const char*, const char*) { a.attentions = true; }},
  {"--threads", "N", kInfo | kClassify | kEmbed | kGenerate | kBench | kRun, "1",
   "threads for the matrix products (results do not depend on it)",
   [](Args& a, const char* n, const char* v) { a.threads = parse_count(n, v); }},
  {"--isa", "ISA", kInfo | kClassify | kEmbed | kGenerate | kBench | kRun, "auto: the best this CPU and build have",
   "kernel tier: auto, ref, avx2, avxvnni, avx512vnni, amx, neon, neondot or i8mm",
   [](Args& a, const char*, const char* v) {
     Result<Isa> isa = parse_isa(v);
     if (!isa.ok()) usage(isa.status().message());
     a.isa = isa.value();
   }},
  {"--help", nullptr, kAll, "",
   "print this help and exit", [](Args& a, const char*, const char*) { a.help = true; }},
};

const Option* find_option(const std::string& name, unsigned command) {
  for (const Option& o : kOptions)
    if ((o.commands & command) && name == o.name) return &o;
  return nullptr;
}

// argv[2...] of `tern COMMAND`: options of `command` (a CommandBit) anywhere, the model first of
// the rest. Stops at --help.
Args parse(const char* name, unsigned command, int argc, char** argv) {
  Args a;
  a.command = name;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-h") s = "--help";
    if (s.size() > 1 && s[0] == '-' && s[1] == '-') {
      const Option* o = find_option(s, command);
      if (!o) usage("unknown option " + s + " for " + name);
      if (o->value && i + 1 >= argc) usage(s + " needs a value");
      o->set(a, o->name, o->value ? argv[++i] : nullptr);
      if (a.help) return a;
    } else if (a.model.empty()) {
      a.model = s;
    } else {
      a.positional.push_back(s);
    }
  }
  if (a.model.empty()) usage("MODEL.tern is required");
  return a;
}

void print_json_string(std::string_view s) {
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
  if (model.info().encoder_decoder) {
    // 0 lets the session take what the model's positions allow (T5's relative ones have no limit).
    o.max_new_tokens = a.gen.max_new_tokens > 0 ? size_t(a.gen.max_new_tokens) : model.info().max_positions ? 0 : 256;
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

// The model's facts, then those of a batch-1 session (T5: 128 new tokens, 4 beams): as lines, or
// one JSON object (the library's two objects merged, with the file's path first).
int info(const Model& model, const Args& a) {
  SessionOptions o = options_for(model, a, 1);
  if (model.info().encoder_decoder) {
    const int positions = model.info().max_positions;
    o.max_new_tokens = positions ? size_t(std::min(positions - 1, 128)) : 128;
    o.max_beams = 4;
  }
  const std::string facts = model.describe(a.json);
  Result<std::unique_ptr<Session>> s = Session::create(model, o);
  const std::string session = s.ok() ? s.value()->describe(a.json) : std::string();
  if (!a.json) {
    std::printf("path:        %s\n%s%s", a.model.c_str(), facts.c_str(), session.c_str());
    if (!s.ok()) std::printf("session:     cannot be made: %s\n", s.status().message());
    return 0;
  }
  // Both are "{...}": their members, in one object.
  std::printf("{\"path\": ");
  print_json_string(a.model);
  std::printf(", %.*s", int(facts.size() - 2), facts.c_str() + 1);
  if (s.ok()) std::printf(", %.*s", int(session.size() - 2), session.c_str() + 1);
  else std::printf(", \"session_error\": "), print_json_string(s.status().message());
  std::printf("}\n");
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

// A token as one word of a line: its bytes, with backslash, space and control bytes as \xNN (an
// added token may hold a space; byte-level BPE and SentencePiece tokens never do).
void print_token(std::string_view t) {
  for (unsigned char c : t) {
    if (c <= ' ' || c == '\\' || c == 0x7F) std::printf("\\x%02X", c);
    else std::putchar(c);
  }
}

// One line per text: ID:TOKEN for each of its tokens, special tokens included.
int tokenize(const Model& model, const Args& a) {
  if (!model.has_tokenizer()) return fail(Status::error(Code::kInvalidArgument, "this model has no tokenizer"));
  if (a.decode) {
    std::vector<int32_t> ids;
    for (const std::string& s : a.positional) {
      char* end = nullptr;
      long id = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end || id < 0 || id >= model.info().decoded_vocab_size())
        return fail(Status::error(Code::kInvalidArgument, "--decode: '%s' is not a token id of this model", s.c_str()));
      ids.push_back(int32_t(id));
    }
    std::printf("%s\n", model.decode(ids.data(), ids.size()).c_str());
    return 0;
  }
  for (const std::string& text : a.positional) {
    Result<std::vector<int32_t>> ids = model.tokenize(text);
    if (!ids.ok()) return fail(ids.status());
    for (size_t i = 0; i < ids->size(); ++i) {
      std::printf("%s%d:", i ? " " : "", (*ids)[i]);
      print_token(model.token((*ids)[i]));
    }
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
  if (model.info().encoder_decoder) {
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
  b.gen.num_beams = 1;
  SessionOptions o = options_for(model, b, batch);
  if (!dec_ids.shape.empty()) o.max_decoder_seq = size_t(dec_ids.shape[1]);
  Result<std::unique_ptr<Session>> session = Session::create(model, o);
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

bool print_token(void* stream, size_t, int32_t token) {
  static_cast<cli::TextStream*>(stream)->add(token);
  return true;
}

int generate(const Model& model, const Args& a) {
  if (!model.info().encoder_decoder) return fail(Status::error(Code::kInvalidArgument, "generate: %s is not an encoder-decoder", a.model.c_str()));
  if (!a.input_ids.empty() && a.stream) usage("--stream prints text: it does not go with --input-ids");
  if (!a.input_ids.empty()) return generate_ids(model, a);
  if (a.positional.empty()) usage("generate needs TEXT... or --input-ids IDS.npy");
  auto session = Session::create(model, options_for(model, a, 1));
  if (!session.ok()) return fail(session.status());
  Session& s = *session.value();
  for (const std::string& text : a.positional) {
    const GenerationOptions o = generation_options(s, a, text);
    std::string_view t = text;
    // Streamed: greedy and sampling print as tokens come; beam search's tokens are only final at
    // its end, so it prints as without --stream.
    const bool streamed = a.stream && o.num_beams == 1;
    cli::TextStream printer(model, model.info().decoder_start_token_id, stdout);
    auto t0 = std::chrono::steady_clock::now();
    Status st = s.generate(&t, 1, o, streamed ? TokenStream{print_token, &printer} : TokenStream());
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) return fail(st);
    const Generated& g = s.generated();
    if (streamed) printer.finish();
    for (size_t i = 0; i < g.sequences && !streamed; ++i) {
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
  const bool t5 = model.info().encoder_decoder;
  const int vocab = model.info().vocab_size;
  // Without --seq, a length every model takes: 128 tokens, or fewer if the model has fewer positions.
  const size_t B = a.bench_batch, S = a.bench_seq ? a.bench_seq : std::min<size_t>(128, model.info().default_max_seq());
  const size_t beams = a.gen.num_beams > 0 ? size_t(a.gen.num_beams) : 1;
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
  if (t5) for (size_t b = 0; b < B; ++b) ids[b * S + S - 1] = model.info().eos_token_id;
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
  std::printf("arena plan:\n%s", s.arena_plan().c_str());
  return 0;
}


struct Command {
  const char* name;
  unsigned bit;
  const char* operands;  // after `tern NAME`
  const char* summary;   // one line, for `tern --help`
  const char* about;     // more, for `tern NAME --help` (may be empty)
  int (*run)(const Model& model, const Args& a);
};

const Command kCommands[] = {
  {"info", kInfo, "MODEL.tern", "the model's config, labels, tokenizer, tensors, arena (+ XNNPACK) and kernels",
   "The arena is planned for batch 1 and --max-seq tokens (T5: 128 new tokens, 4 beams).\n", info},
  {"classify", kClassify, "MODEL.tern TEXT...", "the label of each TEXT; token classification: its entities",
   "Prints the best label (multi-label: every label scoring 0.5 or more) or, for token classification,\n"
   "the entities (grouped as the ner pipeline's \"simple\" strategy; JSON offsets count characters).\n", classify},
  {"embed", kEmbed, "MODEL.tern TEXT...", "the sentence embedding of each TEXT (sentence-transformers models)", "",
   embed},
  {"tokenize", kTokenize, "MODEL.tern TEXT... | --decode ID...", "the token ids and tokens of each TEXT, or ids back to text",
   "One line per TEXT: ID:TOKEN for each token, special tokens included; in a token, backslash, space\n"
   "and control bytes are written \\xNN.\n", tokenize},
  {"generate", kGenerate, "MODEL.tern TEXT... | --input-ids IDS.npy --output OUT.npy",
   "T5: text (or token ids) in, text (or token ids) out",
   "Defaults come from the model (its generation config, or the task whose prefix the text starts\n"
   "with; `tern info` lists them); options override them.\n", generate},
  {"bench", kBench, "MODEL.tern", "times runs on fixed token ids: latency, load time, memory",
   "", bench},
  {"run", kRun, "MODEL.tern --inputs DIR --outputs DIR", "token ids in, every output out, as .npy files named as Hugging Face's",
   "Reads DIR/input_ids.npy [attention_mask.npy, token_type_ids.npy] (int64 or int32) and writes float32\n"
   ".npy files named as Hugging Face's outputs (logits, pooler_output, last_hidden_state, hidden_states.N,\n"
   "attentions.N, sentence_embedding; T5: decoder_input_ids.npy, decoder_attention_mask.npy in,\n"
   "encoder_last_hidden_state, logits, encoder_hidden_states.N, decoder_hidden_states.N out).\n", run},
};

void print_overview() {
  std::printf("usage: tern COMMAND MODEL.tern [ARGS...] [OPTIONS]\n"
              "       tern COMMAND --help    (the command's options, each with its default)\n"
              "       tern --version         (tern's version and the model format it reads)\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %-9s %s\n", c.name, c.summary);
  std::printf("\nexit codes: 0 ok, 1 bad input or model (one line on stderr), 2 usage\n");
}

// The usage line, the notes, then one line per option of the command: exactly the rows of kOptions
// the parser accepts for it.
void print_help(const Command& c) {
  std::printf("usage: tern %s %s [OPTIONS]\n%s", c.name, c.operands, c.about);
  std::printf("\noptions:\n");
  auto left = [](const Option& o) {
    std::string s = std::string(o.name == std::string("--help") ? "-h, " : "") + o.name;
    return o.value ? s + " " + o.value : s;
  };
  size_t width = 0;
  for (const Option& o : kOptions)
    if (o.commands & c.bit) width = std::max(width, left(o).size());
  for (const Option& o : kOptions) {
    if (!(o.commands & c.bit)) continue;
    std::printf("  %-*s  %s", int(width), left(o).c_str(), o.help);
    if (std::strncmp(o.fallback, "required", 8) == 0) std::printf(" (%s)", o.fallback);
    else if (*o.fallback) std::printf(" (default: %s)", o.fallback);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no command");
  const std::string first = argv[1];
  if (first == "-h" || first == "--help" || first == "help") {
    const Command* about = nullptr;
    for (const Command& c : kCommands)
      if (argc > 2 && c.name == std::string(argv[2])) about = &c;
    if (about) print_help(*about);
    else print_overview();
    return 0;
  }
  if (first == "--version") {
    std::printf("tern %s (model format %s)\n", version(), TERN_FORMAT_VERSION_STRING);
    return 0;
  }
  const Command* cmd = nullptr;
  for (const Command& c : kCommands)
    if (first == c.name) cmd = &c;
  if (!cmd) usage("unknown command '" + first + "'");
  Args a = parse(cmd->name, cmd->bit, argc, argv);
  if (a.help) {
    print_help(*cmd);
    return 0;
  }
  Result<std::unique_ptr<Model>> model = Model::load(a.model.c_str());
  if (!model.ok()) return fail(model.status());
  return cmd->run(*model.value(), a);
}
