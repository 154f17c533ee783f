// A .tern blob as arbitrary bytes: Model::from_buffer (verifier, version, tensor and config
// checks, tokenizer tables), then, for what loads, a session planned small and one short run:
// classify or generate a fixed text when the blob has a tokenizer, else a forward pass on fixed ids.
// Everything the blob says is untrusted, so a load that succeeds must run without a bad access.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "tern/session.h"

namespace {

// 64-byte aligned copy of the input, as from_buffer requires (mmap gives it for files).
struct AlignedCopy {
  AlignedCopy(const uint8_t* data, size_t size) : bytes(static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64 + 64))) {
    std::memcpy(bytes, data, size);
  }
  ~AlignedCopy() { std::free(bytes); }
  uint8_t* bytes;
};

// Plans beyond this are skipped, not run: a valid blob may describe a model too large for the
// fuzzer's memory limit without being wrong (sizes are bounded by the file only for weights).
constexpr size_t kMaxArenaBytes = size_t(256) << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  AlignedCopy copy(data, size);
  tern::Result<std::unique_ptr<tern::Model>> loaded = tern::Model::from_buffer(copy.bytes, size);
  if (!loaded.ok()) return 0;
  const tern::Model& model = *loaded.value();
  tern::SessionOptions o;
  o.max_seq = 16;
  o.max_new_tokens = 4;
  o.max_beams = 2;
  o.truncate = true;
  o.isa = tern::Isa::kRef;  // the reference kernels: the same on every machine that replays a crash
  tern::Result<size_t> arena = tern::Session::required_arena_bytes(model, o);
  if (!arena.ok() || arena.value() > kMaxArenaBytes) return 0;
  tern::Result<std::unique_ptr<tern::Session>> created = tern::Session::create(model, o);
  if (!created.ok()) return 0;
  tern::Session& session = *created.value();
  const std::string_view text = "Hello world, the house is wonderful.";
  const int64_t ids[] = {0, 3, 2, 1};  // checked against the blob's vocab_size by run/generate
  if (model.info().encoder_decoder) {
    tern::GenerationOptions g = session.generation_defaults(text);
    if (model.has_tokenizer()) (void)session.generate(&text, 1, g);
    else (void)session.generate(ids, nullptr, 1, 4, g);
  } else if (model.has_tokenizer()) {
    if (session.classify(&text, nullptr, 1).ok()) (void)session.predicted_label(0);
  } else {
    tern::Inputs in;
    in.batch = 1;
    in.seq = 4;
    in.input_ids = ids;
    (void)session.run(in);
  }
  return 0;
}
