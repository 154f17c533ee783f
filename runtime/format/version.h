#pragma once

#include "tern/version.h"

namespace tern {
// The blob format version this build writes and reads; see schema/README.md for when to bump which.
// CMakeLists.txt reads these two lines for the public tern/version.h (TERN_FORMAT_VERSION_*).
constexpr int kFormatMajor = 1;
constexpr int kFormatMinor = 4;  // 1.1: T5, generation defaults, SentencePiece; 1.2: tokenizer hash indexes;
                                 // 1.3: encoder families (embedding projection, shared layers, heads),
                                 //      special-token templates and ids, byte-level BPE, fairseq/ALBERT SentencePiece;
                                 // 1.4: encoder-decoders beyond T5 (torch nn.Transformer)
static_assert(kFormatMajor == TERN_FORMAT_VERSION_MAJOR && kFormatMinor == TERN_FORMAT_VERSION_MINOR,
              "tern/version.h disagrees with these constants: re-run CMake");
}  // namespace tern
