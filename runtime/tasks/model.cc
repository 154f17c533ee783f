#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tasks/model_impl.h"

namespace tern {

const char* arch_name(Arch arch) {
  switch (arch) {
    case Arch::kBert: return "bert";
    case Arch::kTorchEncoder: return "torch-encoder";
    case Arch::kT5: return "t5";
    case Arch::kTorchSeq2Seq: return "torch-seq2seq";
  }
  return "?";
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::kGeluErf: return "gelu";
    case Activation::kGeluTanh: return "gelu_new";
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kSilu: return "silu";
  }
  return "?";
}

const char* head_name(Head head) {
  switch (head) {
    case Head::kSequenceClassification: return "sequence classification";
    case Head::kTokenClassification: return "token classification";
    case Head::kEmbedding: return "embedding";
  }
  return "?";
}

ModelImpl::Mapping::~Mapping() {
  if (addr) munmap(addr, size);
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

namespace {

Status bind(ModelImpl* m) {
  const fb::Model& fm = m->blob.model();
  TERN_CHECK_OR_RETURN(fm.arch() >= fb::Arch::MIN && fm.arch() <= fb::Arch::MAX, Code::kUnsupported,
                       "model: architecture %d is not supported by this runtime", int(fm.arch()));
  m->arch = Arch(int(fm.arch()));
  // The tokenizer is whatever the blob carries, whatever the architecture.
  auto bind_tokenizer = [&](int vocab_size) {
    if (!fm.tokenizer()) return Status();
    m->tokenizer = std::make_unique<Tokenizer>();
    return m->tokenizer->init(*fm.tokenizer(), vocab_size);
  };
  const std::string_view family = fm.family() ? fm.family()->string_view() : std::string_view(arch_name(m->arch));
  // The one place the architecture matters: which config and weights the blob holds.
  if (m->arch == Arch::kT5 || m->arch == Arch::kTorchSeq2Seq) {
    const Seq2SeqConfig& c = m->seq2seq;
    TERN_RETURN_IF_ERROR(bind_seq2seq(m->blob, &m->seq2seq, &m->seq2seq_weights));
    TERN_CHECK_OR_RETURN(c.shared_embeddings || !fm.tokenizer(), Code::kInvalidModel,
                         "model: a tokenizer for separate source and target vocabularies is not supported");
    m->info = ModelInfo{m->arch, family, true, c.src_vocab_size, c.vocab_size, c.d_model, c.num_layers,
                        c.num_decoder_layers, c.num_heads, c.max_positions, c.activation,
                        Head::kSequenceClassification, LabelOutput::kSoftmax, c.decoder_start_token_id,
                        c.eos_token_id, c.pad_token_id};
    return bind_tokenizer(c.vocab_size);
  }
  TERN_RETURN_IF_ERROR(bind_encoder(m->blob, &m->encoder, &m->weights));
  const EncoderConfig& e = m->encoder;
  // RoBERTa numbers positions from pad_token_id + 1, so it has that many fewer.
  const int positions = e.positions_from_padding ? e.max_position_embeddings - e.pad_token_id - 1
                                                 : e.max_position_embeddings;
  m->info = ModelInfo{m->arch, family, false, e.vocab_size, 0, e.hidden_size, e.num_layers, 0, e.num_heads, positions,
                      e.activation, e.head, e.label_output, -1, -1, -1};
  if (fm.labels()) {
    TERN_CHECK_OR_RETURN(int64_t(fm.labels()->size()) == m->encoder.num_labels, Code::kInvalidModel,
                         "model: %u labels for num_labels=%d", fm.labels()->size(),
                         m->encoder.num_labels);
    for (const auto* l : *fm.labels()) m->labels.emplace_back(l->c_str(), l->size());
  }
  return bind_tokenizer(m->encoder.vocab_size);
}

}  // namespace

Result<std::unique_ptr<Model>> Model::from_buffer(const void* data, size_t size) {
  auto impl = std::make_unique<ModelImpl>();
  Result<Blob> blob = Blob::validate(static_cast<const uint8_t*>(data), size);
  if (!blob.ok()) return blob.status();
  impl->blob = std::move(blob.value());
  TERN_RETURN_IF_ERROR(bind(impl.get()));
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

Result<std::unique_ptr<Model>> Model::load(const char* path) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever; the file type
  // is checked below. It changes nothing for a regular file, which is only mapped.
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  TERN_CHECK_OR_RETURN(fd >= 0, Code::kIo, "%s: %s", path, std::strerror(errno));
  struct stat st;  // st_size is 64-bit on 32-bit targets too: CMakeLists.txt sets _FILE_OFFSET_BITS=64
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return Status::error(Code::kIo, "%s: %s", path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Status::error(Code::kIo, "%s: not a regular file", path);
  }
  auto mapping = std::make_unique<ModelImpl::Mapping>();
  const uint64_t file_size = uint64_t(st.st_size);
  mapping->size = size_t(file_size);
  if (mapping->size != file_size) {  // a 32-bit process cannot map 4 GiB
    close(fd);
    return Status::error(Code::kIo, "%s: %llu bytes do not fit in this process's address space", path,
                         (unsigned long long)file_size);
  }
  if (mapping->size == 0) {
    close(fd);
    return Status::error(Code::kInvalidModel, "%s: file is empty", path);
  }
  void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  TERN_CHECK_OR_RETURN(addr != MAP_FAILED, Code::kIo, "%s: mmap failed: %s", path,
                       std::strerror(errno));
  mapping->addr = addr;
  Result<std::unique_ptr<Model>> model = from_buffer(addr, mapping->size);
  if (!model.ok()) {
    Status s = model.status();
    return Status::error(s.code(), "%s: %s", path, s.message());
  }
  model.value()->impl_->mapping = std::move(mapping);
  return model;
}

Arch Model::arch() const { return impl_->arch; }
const ModelInfo& Model::info() const { return impl_->info; }
size_t Model::num_labels() const { return size_t(impl_->encoder.num_labels); }
std::string_view Model::label(size_t id) const {
  return id < impl_->labels.size() ? impl_->labels[id] : std::string_view();
}
bool Model::has_tokenizer() const { return impl_->tokenizer != nullptr; }

// Not the allocation-free path: counts the tokens first, then encodes into vectors of that size.
Result<std::vector<int32_t>> Model::tokenize(std::string_view text) const {
  TERN_CHECK_OR_RETURN(has_tokenizer(), Code::kInvalidArgument, "this model has no tokenizer");
  const Tokenizer& t = *impl_->tokenizer;
  std::vector<uint64_t> scratch(t.scratch_bytes() / 8 + 1);  // 8-byte aligned
  uint8_t* s = reinterpret_cast<uint8_t*>(scratch.data());
  size_t count = 0;
  auto counter = [&](int32_t, uint32_t, uint32_t) { return ++count, true; };
  TERN_RETURN_IF_ERROR(t.tokenize(text, s, TokenSink(counter)));
  std::vector<int32_t> ids(count + 8);  // room for the template's special tokens
  Result<Encoded> e = t.encode(text, nullptr, s, false, EncodeOutput{ids.data(), nullptr, nullptr, ids.size()});
  if (!e.ok()) return e.status();
  ids.resize(e.value().length);
  return ids;
}

std::string Model::decode(const int32_t* ids, size_t count, bool skip_special) const {
  return impl_->tokenizer ? impl_->tokenizer->decode(ids, count, skip_special) : std::string();
}
std::string_view Model::token(int32_t id) const {
  const int vocab = impl_->info.decoded_vocab_size();
  return impl_->tokenizer && id >= 0 && id < vocab ? impl_->tokenizer->token(id) : std::string_view();
}
size_t Model::file_bytes() const { return impl_->blob.size(); }

}  // namespace tern
