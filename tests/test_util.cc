#include "test_util.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

namespace tern::test {

std::vector<Isa> runnable_isas() {
  static const std::vector<Isa> isas = [] {
    std::vector<Isa> found;
    for (Isa isa : kAllIsas) {
      KernelTable table;
      Status s = select_kernels(isa, &table);
      if (s.ok()) found.push_back(isa);
      else std::printf("[tern] skipped isa %s: %s\n", isa_name(isa), s.message());
    }
    return found;
  }();
  return isas;
}

cli::NpyArray load_npy(const std::string& path) {
  cli::NpyArray a;
  Status s = cli::read_npy(path, &a);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return a;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open ", path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

}  // namespace tern::test
