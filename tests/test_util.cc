#include "test_util.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

namespace tern::test {

std::vector<Isa> runnable_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512Vnni, Isa::kNeon, Isa::kNeonDot}) {
    KernelTable table;
    if (select_kernels(isa, &table).ok()) isas.push_back(isa);
    else MESSAGE("skipped isa ", isa_name(isa), ": not built or not supported by this CPU");
  }
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
