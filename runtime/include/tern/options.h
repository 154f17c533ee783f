#pragma once

#include <cstddef>

#include "tern/status.h"

namespace tern {

// Instruction sets with kernels. kAuto picks the best one this CPU and build support.
enum class Isa { kAuto = 0, kRef, kAvx2, kAvx512Vnni, kNeon, kNeonDot };

const char* isa_name(Isa isa);
// Parses "auto", "ref", "avx2", "avx512vnni", "neon", "neondot".
Result<Isa> parse_isa(const char* name);

}  // namespace tern
