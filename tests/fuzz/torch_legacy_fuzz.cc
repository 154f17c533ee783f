// The legacy (pre-zip) torch.save reader: a sequence of pickles, then raw storages. Inputs start
// with a pickle PROTO opcode, as those files do; read or refused with ConvertError, nothing else.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Anything else is either a zip (torch_zip_fuzz) or refused on its first byte.
  if (size < 1 || data[0] != 0x80) return -1;
  try {
    // Every tensor decoded: the reader checked its extent against the bytes, so this stays inside them.
    for (const auto& [name, t] : tern::convert::read_torch_file(tern::convert::MappedFile::copy_of(data, size), "fuzz.bin")) (void)t.floats();
  } catch (const tern::convert::ConvertError&) {
  }
  return 0;
}
