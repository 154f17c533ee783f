// The safetensors reader on arbitrary bytes: it must read them or refuse them with ConvertError;
// any other exception escapes and counts as a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // Every tensor decoded: the reader checked its extent against the bytes, so this stays inside them.
    for (const auto& [name, t] : tern::convert::read_safetensors(tern::convert::MappedFile::copy_of(data, size), "fuzz.safetensors")) (void)t.floats();
  } catch (const tern::convert::ConvertError&) {
  }
  return 0;
}
