// tern-convert: a Hugging Face directory or torch state dict -> one self-contained .tern blob.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint.h"
#include "cli/peak_rss.h"
#include "model_spec.h"
#include "tern/version.h"
#include "tokenizer.h"
#include "writer.h"

namespace tc = tern::convert;

namespace {

struct Args {
  std::string src, out, arch = "auto", config, weights = "int8";
  std::vector<std::string> keep_float;
  bool report = false;
};

// One line, as for every other error: the full text would bury the message (--help prints it).
[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "tern-convert: %s (see tern-convert --help)\n", msg.c_str());
  std::exit(2);
}

void print_help();

// One row per option: the parser accepts exactly these and --help prints exactly these, so the two
// cannot drift (tests/cli_help.sh checks the help against this table and the parser). Each row's
// first line holds its name.
struct Option {
  const char* name;
  const char* value;     // what its value is called in the help; nullptr: a flag
  const char* fallback;  // the default, for the help
  const char* help;
  void (*set)(Args& a, const char* value);  // value: nullptr for a flag
};

const Option kOptions[] = {
  {"-o", "OUT.tern", "required",
   "the blob to write (replaced only by a successful conversion)", [](Args& a, const char* v) { a.out = v; }},
  {"--arch", "auto|bert|t5|torch-encoder|torch-seq2seq", "auto: from config.json",
   "the architecture", [](Args& a, const char* v) { a.arch = v; }},
  {"--config", "CONFIG.json", "SRC/config.json",
   "the model's config", [](Args& a, const char* v) { a.config = v; }},
  {"--weights", "int8|f16|f32", "int8",
   "Linear weights' storage (int8: symmetric, per output channel; embeddings f16, heads f32)",
   [](Args& a, const char* v) { a.weights = v; }},
  {"--keep-float", "REGEX", "none",
   "keep tensors whose tern or checkpoint name matches REGEX in f32 (repeatable)",
   [](Args& a, const char* v) { a.keep_float.push_back(v); }},
  {"--report", nullptr, "off",
   "print every tensor with its dtype and quantization error, and the peak memory",
   [](Args& a, const char*) { a.report = true; }},
  {"--version", nullptr, "",
   "print the version and exit", [](Args&, const char*) {
     std::printf("tern-convert %s (model format %s)\n", tern::version(), TERN_FORMAT_VERSION_STRING);
     std::exit(0);
   }},
  {"--help", nullptr, "",
   "print this help and exit", [](Args&, const char*) {
     print_help();
     std::exit(0);
   }},
};

void print_help() {
  std::printf(
      "usage: tern-convert SRC -o OUT.tern [OPTIONS]\n"
      "  SRC is a Hugging Face model directory (config.json; model.safetensors or pytorch_model.bin,\n"
      "  sharded or not, f32/f16/bf16; vocab.txt + tokenizer_config.json, spiece.model, vocab.json +\n"
      "  merges.txt, or tokenizer.json), or one weights file (safetensors or torch state dict) with --config.\n"
      "  On a terminal, progress (tensor i/N, bytes written) is shown on stderr.\n\noptions:\n");
  auto left = [](const Option& o) {
    std::string s = std::string(o.name == std::string("--help") ? "-h, " : "") + o.name;
    return o.value ? s + " " + o.value : s;
  };
  size_t width = 0;
  for (const Option& o : kOptions) width = std::max(width, left(o).size());
  for (const Option& o : kOptions) {
    std::printf("  %-*s  %s", int(width), left(o).c_str(), o.help);
    if (std::strncmp(o.fallback, "required", 8) == 0) std::printf(" (%s)", o.fallback);
    else if (*o.fallback) std::printf(" (default: %s)", o.fallback);
    std::printf("\n");
  }
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-h") s = "--help";
    const Option* o = nullptr;
    for (const Option& row : kOptions)
      if (s == row.name) o = &row;
    if (o) {
      if (o->value && i + 1 >= argc) usage_error(s + " needs a value");
      o->set(a, o->value ? argv[++i] : nullptr);
    } else if (!s.empty() && s[0] == '-') {
      usage_error("unknown option " + s);
    } else if (a.src.empty()) {
      a.src = s;
    } else {
      usage_error("more than one SRC");
    }
  }
  if (a.src.empty() || a.out.empty()) usage_error("SRC and -o OUT are required");
  // Checked here, before any file is read: a typo should not cost a checkpoint read.
  if (a.arch != "auto" && a.arch != "bert" && a.arch != "t5" && a.arch != "torch-encoder" && a.arch != "torch-seq2seq")
    usage_error("--arch must be auto, bert, t5, torch-encoder or torch-seq2seq");
  if (a.weights != "int8" && a.weights != "f16" && a.weights != "f32")
    usage_error("--weights must be int8, f16 or f32");
  return a;
}

// "tensor i/N, bytes written" on one line of stderr, overwritten with \r, when stderr is a
// terminal: a conversion can take a while. Nothing otherwise: scripts and tests read stderr.
struct ProgressLine {
  bool shown = false;
  void operator()(size_t done, size_t total, uint64_t bytes) {
    std::fprintf(stderr, "\rtern-convert: tensor %zu/%zu, %llu bytes written", done, total, (unsigned long long)bytes);
    std::fflush(stderr);
    shown = true;
  }
  void clear() {  // before any other line: notes, errors, or the summary on stdout
    if (shown) std::fprintf(stderr, "\r\033[K");
    shown = false;
  }
};
ProgressLine progress_line;

std::string dir_of(const std::string& src) {
  std::ifstream probe(src + "/config.json");
  if (probe) return src;
  size_t slash = src.rfind('/');
  return slash == std::string::npos ? "." : src.substr(0, slash);
}

std::string detect_arch(const tc::JsonFields& c) {
  const std::string type = c.string_or("model_type", "");
  for (const char* encoder : {"bert", "distilbert", "roberta", "xlm-roberta", "electra", "albert"})
    if (type == encoder) return "bert";
  if (type == "t5") return "t5";
  if (c.string_or("architecture", "") == "TorchSeq2SeqTransformer") return "torch-seq2seq";
  if (c.string_or("architecture", "") == "TorchEncoderClassifier" || (c.has("d_model") && c.has("nhead")))
    return "torch-encoder";
  throw tc::ConvertError(c.field("model_type") + " is '" + type + "': tern converts the encoders " + tc::kFamilyList +
                         ", t5, torch nn.TransformerEncoder classifiers and torch nn.Transformer seq2seq models");
}

int run(const Args& a) {
  tc::WeightsPolicy policy;
  if (a.weights == "int8") policy.weights = tern::fb::DType::I8;
  else if (a.weights == "f16") policy.weights = tern::fb::DType::F16;
  else policy.weights = tern::fb::DType::F32;
  for (const std::string& r : a.keep_float) {
    try {
      policy.keep_float.emplace_back(r, std::regex(r));
    } catch (const std::regex_error&) {
      usage_error("--keep-float: invalid regex '" + r + "'");
    }
  }
  // First, so that an unwritable destination fails before the checkpoint is read.
  tc::OutputFile out(a.out);
  const std::string dir = dir_of(a.src);
  const std::string config_path = a.config.empty() ? dir + "/config.json" : a.config;
  const nlohmann::json config_json = tc::read_json(config_path);
  const tc::JsonFields config(config_json, config_path);
  const std::string arch = a.arch == "auto" ? detect_arch(config) : a.arch;
  uint64_t checkpoint_bytes = 0;
  tc::TensorMap tensors = tc::read_checkpoint(a.src, &checkpoint_bytes);
  tc::ModelSpec spec;
  std::unique_ptr<tern::fb::TokenizerT> tokenizer;
  if (arch == "bert" || arch == "torch-encoder") {
    spec = arch == "bert" ? tc::encoder_spec(config, tensors, dir) : tc::torch_encoder_spec(config, tensors);
    tokenizer = tc::read_tokenizer(dir, spec.encoder.vocab_size, &spec.notes);
  } else if (arch == "t5" || arch == "torch-seq2seq") {
    const std::string generation_path = dir + "/generation_config.json";
    const nlohmann::json generation = tc::read_json(generation_path, true);
    const tc::JsonFields g(generation, generation_path);
    spec = arch == "t5" ? tc::t5_spec(config, g, tensors) : tc::torch_seq2seq_spec(config, g, tensors);
    // The torch model takes token ids: no tokenizer (one for each side would be needed).
    if (arch == "t5") tokenizer = tc::read_tokenizer(dir, spec.seq2seq.vocab_size, &spec.notes);
  } else {
    throw tc::ConvertError("internal: unknown architecture " + arch);
  }
  tc::Progress progress;
  if (isatty(fileno(stderr))) progress = [](size_t done, size_t total, uint64_t bytes) { progress_line(done, total, bytes); };
  tc::BlobSummary s = tc::write_blob(spec, std::move(tokenizer), policy, out, progress);
  progress_line.clear();
  out.commit();
  for (const std::string& n : spec.notes) std::fprintf(stderr, "tern-convert: note: %s\n", n.c_str());
  if (a.report) {
    std::printf("%-34s %-5s %-12s %-10s %-10s %s\n", "tensor", "dtype", "shape", "rel_err",
                "max_abs", "from");
    for (const auto& t : s.tensors)
      std::printf("%-34s %-5s %-12s %-10.3g %-10.3g %s\n", t.name.c_str(), t.dtype.c_str(),
                  t.shape.c_str(), t.rel_error, t.max_abs_error, t.sources.c_str());
    // What a conversion costs in memory, against what it reads and writes: it streams, so the
    // peak should stay far below checkpoint + blob (scripts/bench/convert_memory.py checks it).
    constexpr double kMiB = 1 << 20;
    const size_t peak = tern::peak_rss_bytes();
    std::printf("memory: peak RSS %zu bytes (%.1f MiB), checkpoint %llu bytes (%.1f MiB), blob %zu bytes (%.1f MiB)\n",
                peak, double(peak) / kMiB, (unsigned long long)checkpoint_bytes, double(checkpoint_bytes) / kMiB,
                s.file_bytes, double(s.file_bytes) / kMiB);
  }
  std::printf("wrote %s: %s, %zu tensors, %zu bytes (%zu of weights)\n", a.out.c_str(),
              arch.c_str(), s.tensors.size(), s.file_bytes, s.data_bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  try {
    return run(a);
  } catch (const std::exception& e) {
    progress_line.clear();
    std::fprintf(stderr, "tern-convert: error: %s\n", e.what());
    return 1;
  }
}
