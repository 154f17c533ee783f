// The runtime's WordPiece (BERT's tokenizer), as the fixture blobs carry it uncased and cased, on
// arbitrary bytes as text: alone, as a sentence pair truncated to a short max_seq, and ids made
// from the bytes (in range or not) decoded back. Invalid UTF-8 must be an error Status, never a
// read past the text.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tasks/model_impl.h"

namespace {
std::unique_ptr<tern::Model> uncased, cased;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  uncased = tern::fuzz::load_blob("bert.tern");
  cased = tern::fuzz::load_blob("bert_cased.tern");
  if (!uncased->impl().wordpiece || !cased->impl().wordpiece) tern::fuzz::setup_failed("a BERT blob without its vocab");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view a = text.substr(0, size / 2), b = text.substr(size / 2);
  // Ids from the bytes, 4 at a time: mostly out of range, as a caller's may be.
  std::vector<int32_t> raw(size / 4);
  if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 4);
  for (const tern::Model* m : {uncased.get(), cased.get()}) {
    const tern::WordPiece& wp = *m->impl().wordpiece;
    // Capacity as Model::tokenize sizes it: at most 3 ids per byte of text.
    std::vector<int32_t> ids(size * 3 + 8), types(ids.size());
    tern::Result<size_t> n = wp.encode(text, nullptr, ids.size(), false, ids.data(), types.data());
    if (n.ok()) (void)wp.decode(ids.data(), n.value());
    int32_t short_ids[16], short_types[16];
    tern::Result<size_t> pair = wp.encode(a, &b, 16, true, short_ids, short_types);
    if (pair.ok()) (void)wp.decode(short_ids, pair.value());
    for (int32_t& id : raw) id = id < 0 ? id : id % int32_t(wp.vocab_size() + 8);
    (void)wp.decode(raw.data(), raw.size());
  }
  return 0;
}
