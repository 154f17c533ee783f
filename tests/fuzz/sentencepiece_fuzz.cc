// The runtime's SentencePiece (T5's tokenizer), legacy and non-legacy, from the fixture blobs, on
// arbitrary bytes as text: encoded with scratch growing as Model::tokenize grows it, encoded again
// into a short truncated buffer, and ids made from the bytes (in range or not) decoded back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tasks/model_impl.h"

namespace {
std::unique_ptr<tern::Model> legacy, nonlegacy;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  legacy = tern::fuzz::load_blob("t5.tern");
  nonlegacy = tern::fuzz::load_blob("t5_nonlegacy.tern");
  if (!legacy->impl().sentencepiece || !nonlegacy->impl().sentencepiece)
    tern::fuzz::setup_failed("a T5 blob without its spiece.model");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<int32_t> raw(size / 4);
  if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 4);
  for (const tern::Model* m : {legacy.get(), nonlegacy.get()}) {
    tern::Result<std::vector<int32_t>> ids = m->tokenize(text);
    if (ids.ok()) {
      (void)m->decode(ids.value().data(), ids.value().size(), true);
      (void)m->decode(ids.value().data(), ids.value().size(), false);
    }
    // A session's sizing (session.cc: max_seq * 32 + 64 bytes) for max_seq 8, truncating: a long
    // text must end in an error or a truncated encoding, not past the scratch.
    const tern::SentencePiece& sp = *m->impl().sentencepiece;
    const size_t text_bytes = 8 * 32 + 64;
    std::vector<uint64_t> scratch(tern::SentencePiece::scratch_bytes(text_bytes) / 8 + 1);
    int32_t short_ids[8];
    (void)sp.encode(text, {reinterpret_cast<uint8_t*>(scratch.data()), text_bytes}, 8, true, short_ids);
    const int32_t vocab = m->t5_config().vocab_size;
    for (int32_t& id : raw) id = id < 0 ? id : id % (vocab + 8);
    (void)m->decode(raw.data(), raw.size(), true);
    (void)m->decode(raw.data(), raw.size(), false);
  }
  return 0;
}
