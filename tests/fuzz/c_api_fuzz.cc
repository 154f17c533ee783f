// The C API's text entry points on arbitrary bytes as a NUL-terminated UTF-8 text: tern_classify
// on the fixture BERT (max_seq 8: failing on a long text, and truncating it), tern_generate on the
// fixture T5 into a buffer whose size comes from the input (too small is error 5, never an overrun),
// tern_tokenize and tern_decode into buffers sized the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "tern/tern.h"

namespace {

tern_model* bert;
tern_model* t5;
tern_session* classify_strict;
tern_session* classify_truncating;
tern_session* generate;

void check(int code, const char* what) {
  if (code != 0) tern::fuzz::setup_failed(std::string(what) + ": " + tern_last_error());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  check(tern_model_load(tern::fuzz::blob("bert.tern").c_str(), &bert), "bert.tern");
  check(tern_model_load(tern::fuzz::blob("t5.tern").c_str(), &t5), "t5.tern");
  tern_session_options o;
  tern_session_options_init(&o);
  o.max_seq = 8;
  check(tern_session_create(bert, &o, &classify_strict), "bert session");
  o.truncate = 1;
  check(tern_session_create(bert, &o, &classify_truncating), "bert session (truncate)");
  o.max_new_tokens = 4;  // one exec stays in milliseconds
  o.max_beams = 2;
  check(tern_session_create(t5, &o, &generate), "t5 session");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte sizes the output buffer (1..256 bytes); the rest is the text, up to a NUL.
  const size_t out_size = size_t(data[0]) + 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t label = 0;
  float p = 0;
  for (tern_session* s : {classify_strict, classify_truncating})
    if (tern_classify(s, text.c_str(), &label, &p) == 0 && label >= tern_model_num_labels(bert)) std::abort();
  // Exactly out_size bytes on the heap, so that ASan sees a write past them.
  std::vector<char> out(out_size);
  const int code = tern_generate(generate, text.c_str(), out.data(), out.size());
  if (code == 0 || code == 5) (void)std::strlen(out.data());
  // The tokenizer's C entry points: ids into a buffer sized from the input, and back to text.
  std::vector<int32_t> ids(out_size / 8);
  size_t count = 0;
  const int tokenized = tern_tokenize(t5, text.c_str(), ids.data(), ids.size(), &count);
  if (tokenized == TERN_OK && tern_decode(t5, ids.data(), count, 1, out.data(), out.size(), nullptr) == TERN_OK)
    (void)std::strlen(out.data());
  return 0;
}
