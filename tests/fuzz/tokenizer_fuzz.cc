// Every tokenizer kind the runtime has (WordPiece uncased and cased, T5's SentencePiece legacy and
// non-legacy, RoBERTa's byte-level BPE, XLM-R's and ALBERT's SentencePiece), through the one
// Tokenizer interface, on arbitrary bytes as text: the whole text, a pair truncated into a short
// buffer (offsets too), the token stream stopped early, and ids made from the bytes (in range or
// not) decoded back. Invalid UTF-8 must be an error Status, never a read past the text.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tasks/model_impl.h"

namespace {
std::vector<std::unique_ptr<tern::Model>> models;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* name : {"bert.tern", "bert_cased.tern", "t5.tern", "t5_nonlegacy.tern", "roberta.tern",
                           "xlmr.tern", "albert.tern"}) {
    models.push_back(tern::fuzz::load_blob(name));
    if (!models.back()->impl().tokenizer) tern::fuzz::setup_failed(std::string(name) + " has no tokenizer");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view a = text.substr(0, size / 2), b = text.substr(size / 2);
  std::vector<int32_t> raw(size / 4);
  if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 4);
  for (const auto& m : models) {
    const tern::Tokenizer& tok = *m->impl().tokenizer;
    std::vector<uint64_t> scratch(tok.scratch_bytes() / 8 + 1);
    uint8_t* s = reinterpret_cast<uint8_t*>(scratch.data());
    (void)m->tokenize(text);
    int32_t ids[16], types[16];
    tern::TokenOffsets offsets[16];
    (void)tok.encode(a, &b, s, true, tern::EncodeOutput{ids, types, offsets, 16});
    (void)tok.encode(text, nullptr, s, false, tern::EncodeOutput{ids, nullptr, nullptr, 16});
    size_t seen = 0;
    auto first_eight = [&](int32_t, uint32_t begin, uint32_t end) {
      if (begin > end || end > size) __builtin_trap();  // offsets must lie inside the text
      return ++seen < 8;
    };
    (void)tok.tokenize(text, s, tern::TokenSink(first_eight));
    const int32_t vocab = int32_t(m->info().decoded_vocab_size());
    for (int32_t& id : raw) id = id < 0 ? id : id % (vocab + 8);
    (void)tok.decode(raw.data(), raw.size(), false);
    (void)tok.decode(raw.data(), raw.size(), true);
  }
  return 0;
}
