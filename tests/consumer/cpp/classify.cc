// A C++ consumer of an installed libtern (tern/tasks.h): prints the label of one text.
//   classify_cpp MODEL.tern TEXT
#include <cstdio>
#include <cstring>
#include <string_view>

#include <tern/tasks.h>
#include <tern/version.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.tern TEXT\n", argv[0]);
    return 2;
  }
  // The library this program runs with is the one its headers describe.
  if (std::strcmp(tern::version(), TERN_VERSION_STRING) != 0) {
    std::fprintf(stderr, "libtern %s, headers %s\n", tern::version(), TERN_VERSION_STRING);
    return 1;
  }
  auto model = tern::Model::load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message());
    return 1;
  }
  auto classifier = tern::Classifier::create(*model.value(), tern::SessionOptions());
  if (!classifier.ok()) {
    std::fprintf(stderr, "error: %s\n", classifier.status().message());
    return 1;
  }
  std::string_view text = argv[2];
  tern::Status status = classifier.value()->classify(&text, nullptr, 1);
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message());
    return 1;
  }
  std::string_view label = model.value()->label(classifier.value()->label(0));
  std::printf("%.*s\n", int(label.size()), label.data());
  return 0;
}
