#pragma once

#include <cstddef>

#include "tern/status.h"

namespace tern {

// Instruction sets with kernels. kAuto picks the best one this CPU and build support. kAvxVnni is
// AVX2 plus the 256-bit VEX VNNI of CPUs without AVX-512; kNeon is ARMv8.0 Advanced SIMD on aarch64
// and NEON with VFPv4 on 32-bit ARM; kNeonDot adds ARMv8.2 sdot, kI8mm ARMv8.6 smmla; kAmx is
// avx512vnni plus AMX-INT8 tiles for int8 GEMMs of 16 rows or more, chosen only when asked for
// (not by kAuto: not yet verified on AMX hardware). New values are appended: values are stable.
enum class Isa { kAuto = 0, kRef, kAvx2, kAvx512Vnni, kNeon, kNeonDot, kAvxVnni, kI8mm, kAmx };
// Every value but kAuto, in the order tiers are listed.
constexpr Isa kAllIsas[] = {Isa::kRef,  Isa::kAvx2,    Isa::kAvxVnni, Isa::kAvx512Vnni, Isa::kAmx,
                            Isa::kNeon, Isa::kNeonDot, Isa::kI8mm};

TERN_API const char* isa_name(Isa isa);
// Parses "auto", "ref", "avx2", "avxvnni", "avx512vnni", "amx", "neon", "neondot", "i8mm".
TERN_API Result<Isa> parse_isa(const char* name);

}  // namespace tern
