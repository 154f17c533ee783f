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
    tern::convert::read_torch_bytes(std::vector<uint8_t>(data, data + size), "fuzz.bin");
  } catch (const tern::convert::ConvertError&) {
  }
  return 0;
}
