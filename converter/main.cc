// tern-convert: a Hugging Face directory or torch state dict -> one self-contained .tern blob.
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

const char kUsage[] =
    "usage: tern-convert SRC -o OUT.tern [--arch auto|bert|t5|torch-encoder] [--config CONFIG.json]\n"
    "                    [--weights int8|f16|f32] [--keep-float REGEX]... [--report]\n"
    "       tern-convert --help | --version\n"
    "  SRC           a Hugging Face model directory (config.json, model.safetensors or\n"
    "                pytorch_model.bin, sharded or not, vocab.txt + tokenizer_config.json),\n"
    "                or one weights file (safetensors or torch state dict) with --config\n"
    "  --arch        architecture (default auto: from config.json)\n"
    "  --config      config JSON (default SRC/config.json)\n"
    "  --weights     storage of Linear weights and embedding tables (default int8: symmetric,\n"
    "                one scale per output channel); biases and norms stay f32\n"
    "  --keep-float  keep tensors whose tern or checkpoint name matches REGEX in f32 (repeatable)\n"
    "  --report      print every tensor with its dtype and quantization error\n";

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

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(s + " needs a value");
      return argv[++i];
    };
    if (s == "-h" || s == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (s == "--version") {
      std::printf("tern-convert %s (model format %s)\n", tern::version(), TERN_FORMAT_VERSION_STRING);
      std::exit(0);
    } else if (s == "-o") a.out = value();
    else if (s == "--arch") a.arch = value();
    else if (s == "--config") a.config = value();
    else if (s == "--weights") a.weights = value();
    else if (s == "--keep-float") a.keep_float.push_back(value());
    else if (s == "--report") a.report = true;
    else if (!s.empty() && s[0] == '-') usage_error("unknown option " + s);
    else if (a.src.empty()) a.src = s;
    else usage_error("more than one SRC");
  }
  if (a.src.empty() || a.out.empty()) usage_error("SRC and -o OUT are required");
  // Checked here, before any file is read: a typo should not cost a checkpoint read.
  if (a.arch != "auto" && a.arch != "bert" && a.arch != "t5" && a.arch != "torch-encoder")
    usage_error("--arch must be auto, bert, t5 or torch-encoder");
  if (a.weights != "int8" && a.weights != "f16" && a.weights != "f32")
    usage_error("--weights must be int8, f16 or f32");
  return a;
}

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
  if (c.string_or("architecture", "") == "TorchEncoderClassifier" || (c.has("d_model") && c.has("nhead")))
    return "torch-encoder";
  throw tc::ConvertError(c.field("model_type") + " is '" + type + "': tern converts the encoders " + tc::kFamilyList +
                         ", t5, and torch nn.TransformerEncoder classifiers");
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
  } else if (arch == "t5") {
    const std::string generation_path = dir + "/generation_config.json";
    const nlohmann::json generation = tc::read_json(generation_path, true);
    spec = tc::t5_spec(config, tc::JsonFields(generation, generation_path), tensors);
    tokenizer = tc::read_tokenizer(dir, spec.t5.vocab_size, &spec.notes);
  } else {
    throw tc::ConvertError("internal: unknown architecture " + arch);
  }
  tc::BlobSummary s = tc::write_blob(spec, std::move(tokenizer), policy, out);
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
    std::fprintf(stderr, "tern-convert: error: %s\n", e.what());
    return 1;
  }
}
