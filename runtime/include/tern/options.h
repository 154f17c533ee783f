#pragma once

#include <cstddef>

#include "tern/status.h"

namespace tern {

// Instruction sets with kernels. kAuto picks the best one this CPU and build support. kAvxVnni is
// AVX2 plus the 256-bit VEX VNNI of CPUs without AVX-512 (appended last: values are stable).
enum class Isa { kAuto = 0, kRef, kAvx2, kAvx512Vnni, kNeon, kNeonDot, kAvxVnni };

const char* isa_name(Isa isa);
// Parses "auto", "ref", "avx2", "avxvnni", "avx512vnni", "neon", "neondot".
Result<Isa> parse_isa(const char* name);

}  // namespace tern
