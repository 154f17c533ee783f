#include "writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "format/version.h"
#include "kernels/kernels.h"
#include "quantize.h"
#include "tasks/generator.h"
#include "tasks/model_impl.h"

namespace tern::convert {
namespace {

struct Payload {
  std::unique_ptr<fb::TensorT> meta;
  std::vector<uint8_t> bytes;
};

bool keep_float(const OutTensor& t, const WeightsPolicy& policy) {
  for (const auto& [text, re] : policy.keep_float) {
    if (std::regex_search(t.name, re)) return true;
    for (const std::string& s : t.sources)
      if (std::regex_search(s, re)) return true;
  }
  return false;
}

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

Payload encode(const OutTensor& t, const WeightsPolicy& policy) {
  Payload p;
  p.meta = std::make_unique<fb::TensorT>();
  fb::TensorT& m = *p.meta;
  m.name = t.name;
  m.shape = t.shape;
  m.layout = fb::Layout::RowMajor;
  fb::DType dtype = t.role == Role::kParam || keep_float(t, policy) ? fb::DType::F32 : policy.weights;
  // Embedding tables are gathered, not multiplied: int8 would save size but no time, and per-row
  // int8 embeddings were measured to cost more accuracy at the encoder output (rel. L2 0.0049 on
  // the torch_encoder fixture) than PyTorch's whole int8 model loses. f16 costs ~0.0003.
  if (t.role == Role::kEmbedding && dtype == fb::DType::I8) dtype = fb::DType::F16;
  // A float head instead of int8 (logits rel. L2 vs fp32 on the fixtures): bert_small 0.0121 ->
  // 0.0082, roberta 0.0168 -> 0.0116, albert 0.0419 -> 0.0326, bert_multilabel 0.0311 -> 0.0171;
  // for bert-base that is 1.8 MB more of 110 MB, and no time (one row per text).
  if (t.role == Role::kHead && dtype == fb::DType::I8) dtype = fb::DType::F32;
  m.dtype = dtype;
  const int64_t N = t.shape[0], K = t.shape.size() > 1 ? t.shape[1] : 1;
  if (dtype == fb::DType::I8) {
    Quantized q = quantize_n16k4(t.data.data(), N, K);
    m.layout = fb::Layout::N16K4;
    p.bytes = as_bytes(q.data);
    m.scales = std::move(q.scales);
    m.col_sums = std::move(q.col_sums);
    m.quant_rel_error = q.rel_error;
    m.quant_max_abs_error = q.max_abs_error;
  } else if (dtype == fb::DType::F16) {
    std::vector<uint16_t> h(t.data.size());
    for (size_t i = 0; i < h.size(); ++i) h[i] = f32_to_f16(t.data[i]);
    p.bytes = as_bytes(h);
    f16_error(t.data, &m.quant_rel_error, &m.quant_max_abs_error);
  } else {
    p.bytes = as_bytes(t.data);
  }
  return p;
}

// The finished file, mapped read-only (64-byte aligned, as Model::from_buffer needs).
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      const int err = errno;
      if (fd >= 0) close(fd);
      throw ConvertError(path + ": cannot read back: " + std::strerror(err));
    }
    size_ = size_t(st.st_size);
    addr_ = size_ ? mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (addr_ == MAP_FAILED) throw ConvertError(path + ": cannot map it back");
  }
  ~Mapped() { munmap(addr_, size_); }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  const void* data() const { return addr_; }
  size_t size() const { return size_; }

 private:
  void* addr_ = MAP_FAILED;
  size_t size_ = 0;
};

// The runtime's own loader, on the bytes about to take OUT's name: whatever it would refuse, the
// converter refuses, so that every check the runtime makes at load has one source. Generation
// defaults are refused only by generate(); its plan-independent checks run here too. Loading
// reads the tables, not the weights, so this costs little time or memory.
void check_with_runtime(const OutputFile& file, const ModelSpec& spec) {
  Mapped bytes(file.temp_path());
  Result<std::unique_ptr<Model>> model = Model::from_buffer(bytes.data(), bytes.size());
  if (!model.ok())
    throw ConvertError(file.path() + ": not written, the runtime would refuse it: " + model.status().message());
  const fb::Model& m = model.value()->impl().blob.model();
  std::vector<const fb::GenerationConfig*> configs;
  if (m.generation()) configs.push_back(m.generation());
  if (m.tasks()) configs.insert(configs.end(), m.tasks()->begin(), m.tasks()->end());
  for (size_t i = 0; i < configs.size(); ++i) {
    const Status s = check_generation_values(generation_options(*configs[i]));
    if (!s.ok())
      throw ConvertError((i < spec.generation_sources.size() ? spec.generation_sources[i] : file.path()) +
                         ": generate() would refuse these defaults: " + s.message());
  }
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

}  // namespace

BlobSummary write_blob(const ModelSpec& spec, std::unique_ptr<fb::TokenizerT> tokenizer,
                       const WeightsPolicy& policy, OutputFile& file) {
  BlobSummary summary;
  std::vector<Payload> payloads;
  for (const OutTensor& t : spec.tensors) payloads.push_back(encode(t, policy));

  fb::ModelT model;
  model.version_major = uint16_t(kFormatMajor);
  model.version_minor = uint16_t(kFormatMinor);
  model.producer = "tern-convert";
  model.arch = spec.arch;
  if (spec.arch == fb::Arch::T5) {
    model.t5 = std::make_unique<fb::T5ConfigT>(spec.t5);
    if (spec.generation) model.generation = std::make_unique<fb::GenerationConfigT>(*spec.generation);
    for (const auto& task : spec.tasks) model.tasks.push_back(std::make_unique<fb::GenerationConfigT>(*task));
  } else {
    model.encoder = std::make_unique<fb::EncoderConfigT>(spec.encoder);
  }
  model.labels = spec.labels;
  model.tokenizer = std::move(tokenizer);
  model.weights = fb::EnumNameDType(policy.weights);
  // Offsets relative to the data segment first; made absolute once the table size is known.
  uint64_t rel = 0;
  for (Payload& p : payloads) {
    p.meta->offset = rel;
    p.meta->size = p.bytes.size();
    rel = (rel + p.bytes.size() + 63) / 64 * 64;
  }
  model.data_size = rel;
  // Pack twice: with every field forced present, the table size does not depend on the values,
  // so the first pass tells where the data segment starts.
  auto pack = [&](uint64_t base) {
    for (size_t i = 0; i < payloads.size(); ++i) {
      auto copy = std::make_unique<fb::TensorT>(*payloads[i].meta);
      copy->offset += base;
      if (i < model.tensors.size()) model.tensors[i] = std::move(copy);
      else model.tensors.push_back(std::move(copy));
    }
    model.data_offset = base;
    flatbuffers::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    fbb.FinishSizePrefixed(fb::Model::Pack(fbb, &model), fb::ModelIdentifier());
    return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  };
  std::vector<uint8_t> table = pack(uint64_t(1) << 40);
  const uint64_t base = (table.size() + 63) / 64 * 64;
  table = pack(base);
  if ((table.size() + 63) / 64 * 64 != base) throw ConvertError("internal: table size changed between passes");

  std::vector<uint8_t> out(base + rel, 0);
  std::memcpy(out.data(), table.data(), table.size());
  for (const Payload& p : payloads)
    if (!p.bytes.empty()) std::memcpy(out.data() + base + p.meta->offset, p.bytes.data(), p.bytes.size());
  file.write_at(0, out.data(), out.size());
  check_with_runtime(file, spec);

  summary.file_bytes = out.size();
  summary.data_bytes = rel;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const fb::TensorT& m = *payloads[i].meta;
    std::string sources;
    for (const std::string& s : spec.tensors[i].sources) sources += (sources.empty() ? "" : ",") + s;
    summary.tensors.push_back({m.name, sources, fb::EnumNameDType(m.dtype), shape_str(m.shape),
                               m.quant_rel_error, m.quant_max_abs_error});
  }
  return summary;
}

}  // namespace tern::convert
