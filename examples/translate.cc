// The smallest complete text-to-text program: load a T5 .tern model, generate for each argument
// with the model's own defaults (greedy unless its generation config says otherwise).
//   translate MODEL.tern "translate English to German: File not found"
#include <cstdio>

#include "tern/model.h"
#include "tern/session.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.tern TEXT...\n", argv[0]);
    return 2;
  }
  auto model = tern::Model::load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message());
    return 1;
  }
  tern::SessionOptions options;
  options.max_new_tokens = 64;  // the KV caches are planned for this
  auto session = tern::Session::create(*model.value(), options);
  if (!session.ok()) {
    std::fprintf(stderr, "error: %s\n", session.status().message());
    return 1;
  }
  tern::Session& s = *session.value();
  for (int i = 2; i < argc; ++i) {
    std::string_view text = argv[i];
    tern::Status status = s.generate(&text, 1, s.generation_defaults(text));  // allocates nothing
    if (!status.ok()) {
      std::fprintf(stderr, "error: %s\n", status.message());
      return 1;
    }
    const tern::Generated& out = s.generated();  // token ids, start token first
    std::printf("%s\n", model.value()->decode(out.tokens, out.length).c_str());
  }
  return 0;
}
