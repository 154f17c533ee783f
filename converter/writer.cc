#include "writer.h"

#include <cmath>
#include <cstring>

#include "format/blob.h"
#include "format/version.h"
#include "kernels/kernels.h"
#include "quantize.h"
#include "tasks/generator.h"
#include "tasks/model_impl.h"

namespace tern::convert {
namespace {

bool keep_float(const OutTensor& t, const WeightsPolicy& policy) {
  for (const auto& [text, re] : policy.keep_float) {
    if (std::regex_search(t.name, re)) return true;
    for (const std::string& s : t.sources)
      if (std::regex_search(s, re)) return true;
  }
  return false;
}

// How a tensor is stored, decided from its name, role and shape alone, so that the whole table,
// offsets included, is known before any weight is read.
std::unique_ptr<fb::TensorT> plan_tensor(const OutTensor& t, const WeightsPolicy& policy) {
  auto m = std::make_unique<fb::TensorT>();
  m->name = t.name;
  m->shape = t.shape;
  fb::DType dtype = t.role == Role::kParam || keep_float(t, policy) ? fb::DType::F32 : policy.weights;
  // Embedding tables are gathered, not multiplied: int8 would save size but no time, and per-row
  // int8 embeddings were measured to cost more accuracy at the encoder output (rel. L2 0.0049 on
  // the torch_encoder fixture) than PyTorch's whole int8 model loses. f16 costs ~0.0003.
  if (t.role == Role::kEmbedding && dtype == fb::DType::I8) dtype = fb::DType::F16;
  // A float head instead of int8 (logits rel. L2 vs fp32 on the fixtures): bert_small 0.0121 ->
  // 0.0082, roberta 0.0168 -> 0.0116, albert 0.0419 -> 0.0326, bert_multilabel 0.0311 -> 0.0171;
  // for bert-base that is 1.8 MB more of 110 MB, and no time (one row per text).
  if (t.role == Role::kHead && dtype == fb::DType::I8) dtype = fb::DType::F32;
  m->dtype = dtype;
  m->layout = dtype == fb::DType::I8 ? fb::Layout::N16K4 : fb::Layout::RowMajor;
  // The runtime's own size rule: what it will check the payload against.
  m->size = tensor_payload_bytes(m->dtype, m->layout, int(t.shape.size()), t.shape.data());
  if (m->size == 0) throw ConvertError("tensor '" + t.name + "': its shape cannot be stored");
  if (dtype == fb::DType::I8) {  // placeholders of the final lengths, filled in by write_tensor()
    m->scales.assign(size_t(t.shape[0]), 1.0f);
    m->col_sums.assign(size_t((t.shape[0] + 15) / 16 * 16), 0);
  }
  return m;
}

// A NaN quantizes to an arbitrary code and an infinity to an infinite scale (which the runtime
// refuses, naming only the blob's tensor): refused here, naming the checkpoint's tensor.
void check_finite(const OutTensor& t, const std::vector<float>& w) {
  size_t i = 0;
  for (const SourceTensor* part : t.parts)
    for (int64_t k = 0; k < part->numel(); ++k, ++i)
      if (!std::isfinite(w[i]))
        throw ConvertError(part->what + ": element " + std::to_string(k) + " is " +
                           (std::isnan(w[i]) ? "NaN" : w[i] > 0 ? "inf" : "-inf"));
}

// Reads one tensor from the checkpoint, encodes it as planned in `m` and writes it at `at`; fills
// in m's scales, column sums and errors. Only this tensor's floats and bytes are held.
void write_tensor(const OutTensor& t, fb::TensorT& m, OutputFile& file, uint64_t at) {
  std::vector<float> w(static_cast<size_t>(t.numel()));
  t.read(w.data());
  check_finite(t, w);
  const int64_t N = t.shape[0], K = t.shape.size() > 1 ? t.shape[1] : 1;
  if (m.dtype == fb::DType::I8) {
    Quantized q = quantize_n16k4(w.data(), N, K);
    w = std::vector<float>();  // freed before the write
    file.write_at(at, q.data.data(), q.data.size());
    m.scales = std::move(q.scales);
    m.col_sums = std::move(q.col_sums);
    m.quant_rel_error = q.rel_error;
    m.quant_max_abs_error = q.max_abs_error;
  } else if (m.dtype == fb::DType::F16) {
    std::vector<uint16_t> h(w.size());
    for (size_t i = 0; i < h.size(); ++i) h[i] = f32_to_f16(w[i]);
    f16_error(w, &m.quant_rel_error, &m.quant_max_abs_error);
    file.write_at(at, h.data(), h.size() * sizeof(uint16_t));
  } else {
    file.write_at(at, w.data(), w.size() * sizeof(float));
  }
}

// The runtime's own loader, on the bytes about to take OUT's name: whatever it would refuse, the
// converter refuses, so that every check the runtime makes at load has one source. Generation
// defaults are refused only by generate(); its plan-independent checks run here too. Loading
// reads the tables, not the weights, so this costs little time or memory.
void check_with_runtime(const OutputFile& file, const ModelSpec& spec) {
  const MappedFile bytes(file.temp_path());  // page-aligned, as from_buffer needs
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
                       const WeightsPolicy& policy, OutputFile& file, const Progress& progress) {
  std::vector<std::unique_ptr<fb::TensorT>> metas;
  for (const OutTensor& t : spec.tensors) metas.push_back(plan_tensor(t, policy));

  fb::ModelT model;
  model.version_major = uint16_t(kFormatMajor);
  model.version_minor = uint16_t(kFormatMinor);
  model.producer = "tern-convert";
  model.arch = spec.arch;
  model.family = spec.family;
  if (spec.arch == fb::Arch::T5 || spec.arch == fb::Arch::TorchSeq2Seq) {
    model.seq2seq = std::make_unique<fb::Seq2SeqConfigT>(spec.seq2seq);
    if (spec.generation) model.generation = std::make_unique<fb::GenerationConfigT>(*spec.generation);
    for (const auto& task : spec.tasks) model.tasks.push_back(std::make_unique<fb::GenerationConfigT>(*task));
  } else {
    model.encoder = std::make_unique<fb::EncoderConfigT>(spec.encoder);
  }
  model.labels = spec.labels;
  model.tokenizer = std::move(tokenizer);
  // The policy as --weights names it (the schema's "int8", "f16", "f32"), not the dtype enum's name.
  model.weights = policy.weights == fb::DType::I8 ? "int8" : policy.weights == fb::DType::F16 ? "f16" : "f32";
  // Offsets relative to the data segment first; made absolute once the table size is known.
  uint64_t rel = 0;
  for (auto& m : metas) {
    m->offset = rel;
    rel = (rel + m->size + 63) / 64 * 64;
  }
  model.data_size = rel;
  // With every field forced present, the table's size depends on the lengths of its vectors and
  // strings, not on their values: packed with placeholder scales it tells where the data segment
  // starts, the weights are then written there one tensor at a time, and the table packed again
  // with the real values goes in front.
  auto pack = [&](uint64_t base) {
    model.tensors.clear();
    for (const auto& m : metas) {
      model.tensors.push_back(std::make_unique<fb::TensorT>(*m));
      model.tensors.back()->offset += base;
    }
    model.data_offset = base;
    flatbuffers::FlatBufferBuilder fbb;
    fbb.ForceDefaults(true);
    fbb.FinishSizePrefixed(fb::Model::Pack(fbb, &model), fb::ModelIdentifier());
    return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  };
  const uint64_t base = (pack(uint64_t(1) << 40).size() + 63) / 64 * 64;
  uint64_t written = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    write_tensor(spec.tensors[i], *metas[i], file, base + metas[i]->offset);
    written += metas[i]->size;
    if (progress) progress(i + 1, metas.size(), written);
  }
  const std::vector<uint8_t> table = pack(base);
  if ((table.size() + 63) / 64 * 64 != base) throw ConvertError("internal: table size changed between passes");
  file.write_at(0, table.data(), table.size());
  file.resize(base + rel);  // the last tensor's padding, and the gap after the table, read as zeros
  check_with_runtime(file, spec);

  BlobSummary summary;
  summary.file_bytes = size_t(base + rel);
  summary.data_bytes = size_t(rel);
  for (size_t i = 0; i < metas.size(); ++i) {
    const fb::TensorT& m = *metas[i];
    std::string sources;
    for (const std::string& s : spec.tensors[i].sources) sources += (sources.empty() ? "" : ",") + s;
    summary.tensors.push_back({m.name, sources, fb::EnumNameDType(m.dtype), shape_str(m.shape),
                               m.quant_rel_error, m.quant_max_abs_error});
  }
  return summary;
}

}  // namespace tern::convert
