// The callback a tokenizer hands each token to: its id and the bytes [begin, end) of the text it
// came from; returning false stops tokenizing (the rest of the text is not read). A function
// reference, so that passing one allocates nothing and the tokenizers' loops stay in their .cc files.
#pragma once

#include <cstdint>

namespace tern {

class TokenSink {
 public:
  // `f` must outlive the sink (it is used during one tokenize call).
  template <typename F>
  explicit TokenSink(F& f)
      : ctx_(&f), fn_([](void* c, int32_t id, uint32_t b, uint32_t e) { return bool((*static_cast<F*>(c))(id, b, e)); }) {}
  bool operator()(int32_t id, uint32_t begin, uint32_t end) const { return fn_(ctx_, id, begin, end); }

 private:
  void* ctx_;
  bool (*fn_)(void*, int32_t, uint32_t, uint32_t);
};

}  // namespace tern
