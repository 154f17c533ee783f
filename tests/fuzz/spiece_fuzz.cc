// spiece.model (a protobuf ModelProto) as arbitrary bytes through the converter's reader; what it
// accepts is packed as a blob's tokenizer table and loaded by the runtime's SentencePiece, which
// then encodes and decodes a fixed text: the converter must not write a tokenizer the runtime
// crashes on (it may refuse one, with a Status).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/sentencepiece.h"
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
  const tern::fb::SentencePiece& spec = *flatbuffers::GetRoot<tern::fb::Tokenizer>(fbb.GetBufferPointer())->sentencepiece();
  tern::SentencePiece sp;
  if (!sp.init(spec, spec.vocab_size()).ok()) return 0;
  // Letters, punctuation, spaces to collapse, NFKC-expanding characters and an added token.
  const std::string_view text = "  Hello,  world! \xef\xbc\xa8\xc3\xa9 \xef\xac\x81 \xe2\x91\xa0</s> x";
  const size_t text_bytes = text.size() * 2 * (sp.max_expansion() + 4) + 64;  // as Model::tokenize's worst case
  std::vector<uint64_t> scratch(tern::SentencePiece::scratch_bytes(text_bytes) / 8 + 1);
  std::vector<int32_t> ids(text_bytes + 8);
  tern::Result<size_t> n = sp.encode(text, {reinterpret_cast<uint8_t*>(scratch.data()), text_bytes}, ids.size(),
                                     false, ids.data());
  if (n.ok()) {
    (void)sp.decode(ids.data(), n.value(), false);
    (void)sp.decode(ids.data(), n.value(), true);
  }
  return 0;
}
