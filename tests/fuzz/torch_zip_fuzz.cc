// The torch zip checkpoint reader (zip directory, data.pkl unpickler, storages) on arbitrary bytes
// that start as a zip does: read or refused with ConvertError, nothing else.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Other inputs take the legacy path, which torch_legacy_fuzz covers: kept out of this corpus.
  if (size < 4 || std::memcmp(data, "PK\x03\x04", 4) != 0) return -1;
  try {
    // Every tensor decoded: the reader checked its extent against the bytes, so this stays inside them.
    for (const auto& [name, t] : tern::convert::read_torch_file(tern::convert::MappedFile::copy_of(data, size), "fuzz.bin")) (void)t.floats();
  } catch (const tern::convert::ConvertError&) {
  }
  return 0;
}
