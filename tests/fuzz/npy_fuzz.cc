// `tern run`'s .npy reader on arbitrary bytes: an array or an error Status; and what it returns
// must hold as many elements as its shape says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cli/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  tern::cli::NpyArray a;
  if (!tern::cli::read_npy(in, "fuzz.npy", &a).ok()) return 0;
  size_t count = 1;
  for (int64_t d : a.shape) count *= size_t(d);
  if ((a.is_float ? a.floats.size() : a.ints.size()) != count) std::abort();
  return 0;
}
