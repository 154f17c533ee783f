// config.json (and, for the encoder-decoders, generation_config.json's keys inside it) as arbitrary bytes, through
// each family's spec builder against that family's fixture tensors, so a config that matches the
// fixture's shapes gets as far as a complete spec. Refusals are ConvertError, or nlohmann's own
// exception for a key of the wrong JSON type (tern-convert reports both as an error, exit 1);
// anything else escapes and counts as a crash.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "fuzz_util.h"
#include "json_fields.h"
#include "model_spec.h"

namespace tc = tern::convert;
using tern::fuzz::data;

namespace {
tc::TensorMap* bert_tensors;
tc::TensorMap* torch_tensors;
tc::TensorMap* t5_tensors;
tc::TensorMap* seq2seq_tensors;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Read once: the spec builders only read the tensors (SpecBuilder copies what it uses).
  bert_tensors = new tc::TensorMap(tc::read_checkpoint(data("bert_small/ckpt_safetensors")));
  torch_tensors = new tc::TensorMap(tc::read_checkpoint(data("torch_encoder/ckpt_safetensors")));
  t5_tensors = new tc::TensorMap(tc::read_checkpoint(data("t5_tiny/ckpt_safetensors")));
  seq2seq_tensors = new tc::TensorMap(tc::read_checkpoint(data("torch_seq2seq_prenorm/ckpt_zip")));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const nlohmann::json config = nlohmann::json::parse(bytes, bytes + size, nullptr, false);
  if (config.is_discarded()) return 0;  // tern-convert refuses it as "not valid JSON"
  auto attempt = [](auto&& build) {
    try {
      build();
    } catch (const tc::ConvertError&) {
    } catch (const nlohmann::json::exception&) {
    }
  };
  // JsonFields refuses a document that is not an object, as tern-convert does.
  const auto fields = [&] { return tc::JsonFields(config, "config.json"); };
  attempt([&] { tc::encoder_spec(fields(), *bert_tensors, data("bert_small/ckpt_safetensors")); });
  attempt([&] { tc::torch_encoder_spec(fields(), *torch_tensors); });
  attempt([&] { tc::t5_spec(fields(), fields(), *t5_tensors); });
  attempt([&] { tc::torch_seq2seq_spec(fields(), fields(), *seq2seq_tensors); });
  return 0;
}
