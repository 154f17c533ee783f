// The safetensors reader on arbitrary bytes: it must read them or refuse them with ConvertError;
// any other exception escapes and counts as a crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    tern::convert::read_safetensors(in, "fuzz.safetensors");
  } catch (const tern::convert::ConvertError&) {
  }
  return 0;
}
