// The smallest complete classifier: load a .tern model, make a session, classify each argument.
//   classify MODEL.tern TEXT...
#include <cstdio>

#include "tern/model.h"
#include "tern/session.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.tern TEXT...\n", argv[0]);
    return 2;
  }
  auto model = tern::Model::load(argv[1]);  // maps the file; weights are used in place
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message());
    return 1;
  }
  tern::SessionOptions options;  // batch 1, up to 128 tokens: memory is planned once, here
  options.truncate = true;
  auto session = tern::Session::create(*model.value(), options);
  if (!session.ok()) {
    std::fprintf(stderr, "error: %s\n", session.status().message());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view text = argv[i];
    tern::Status status = session.value()->classify(&text, nullptr, 1);  // allocates nothing
    if (!status.ok()) {
      std::fprintf(stderr, "error: %s\n", status.message());
      return 1;
    }
    const size_t label = session.value()->predicted_label(0);
    std::printf("%.*s\t%.3f\t%s\n", int(model.value()->label(label).size()), model.value()->label(label).data(),
                session.value()->probabilities(0)[label], argv[i]);
  }
  return 0;
}
