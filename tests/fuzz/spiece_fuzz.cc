// spiece.model (a protobuf ModelProto) as arbitrary bytes through the converter's reader; what it
// accepts is packed as a blob's tokenizer table and loaded by the runtime's SentencePiece, which
// then encodes and decodes a fixed text: the converter must not write a tokenizer the runtime
// crashes on (it may refuse one, with a Status).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"
#include "checkpoint.h"
#include "tokenizer.h"

namespace tc = tern::convert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<tern::fb::TokenizerT> tok;
  try {
    // vocab_limit: room for the pieces and the default 100 extra ids of any model the bytes hold.
    tok = tc::sentencepiece_tokenizer(std::string(reinterpret_cast<const char*>(data), size),
                                      nlohmann::json::object(), int64_t(1) << 24, "fuzz");
  } catch (const tc::ConvertError&) {
    return 0;
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(tern::fb::Tokenizer::Pack(fbb, tok.get()));
  tern::Tokenizer runtime;
  if (!runtime.init(*flatbuffers::GetRoot<tern::fb::Tokenizer>(fbb.GetBufferPointer()), 1 << 24).ok()) return 0;
  // Letters, punctuation, spaces to collapse, NFKC-expanding characters and an added token.
  const std::string_view text = "  Hello,  world! \xef\xbc\xa8\xc3\xa9 \xef\xac\x81 \xe2\x91\xa0</s> x";
  std::vector<uint64_t> scratch(runtime.scratch_bytes() / 8 + 1);
  std::vector<int32_t> ids(text.size() * 64 + 8);
  tern::Result<tern::Encoded> n = runtime.encode(text, nullptr, reinterpret_cast<uint8_t*>(scratch.data()), false,
                                                 tern::EncodeOutput{ids.data(), nullptr, nullptr, ids.size()});
  if (n.ok()) {
    (void)runtime.decode(ids.data(), n.value().length, false);
    (void)runtime.decode(ids.data(), n.value().length, true);
  }
  return 0;
}
