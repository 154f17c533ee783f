#include <cpuinfo.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <cstring>

#include "kernels/kernels.h"

namespace tern {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAuto: return "auto";
    case Isa::kRef: return "ref";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvxVnni: return "avxvnni";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
  }
  return "?";
}

Result<Isa> parse_isa(const char* name) {
  for (Isa isa : {Isa::kAuto, Isa::kRef, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni, Isa::kNeon, Isa::kNeonDot})
    if (std::strcmp(name, isa_name(isa)) == 0) return isa;
  return Status::error(Code::kInvalidArgument,
                       "unknown isa '%s' (expected auto, ref, avx2, avxvnni, avx512vnni, neon or neondot)",
                       name);
}

namespace {

#if defined(__x86_64__)
// AVX-VNNI is CPUID leaf 7 subleaf 1, EAX bit 4 (this cpuinfo predates it). The OS saves the ymm
// state it needs whenever it does for AVX2, which cpuinfo checks.
bool has_avx_vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
}
#endif

}  // namespace

bool isa_supported(Isa isa) {
  if (isa == Isa::kRef) return true;
  if (!cpuinfo_initialize()) return false;
  switch (isa) {
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    case Isa::kAvx2: return cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
    case Isa::kAvxVnni: return isa_supported(Isa::kAvx2) && has_avx_vnni();
    case Isa::kAvx512Vnni:
      return cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
             cpuinfo_has_x86_avx512vnni();
#endif
#if CPUINFO_ARCH_ARM || CPUINFO_ARCH_ARM64
    case Isa::kNeon: return cpuinfo_has_arm_neon();
    case Isa::kNeonDot: return cpuinfo_has_arm_neon_dot();
#endif
    default: return false;
  }
}

namespace {

bool build_has_kernels_for(Isa isa) {
#define TERN_KERNEL(kind, name, kisa) \
  if (kisa == isa) return true;
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  return false;
}

}  // namespace

Isa best_isa() {
  for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kNeonDot, Isa::kNeon})
    if (build_has_kernels_for(isa) && isa_supported(isa)) return isa;
  return Isa::kRef;
}

Status select_kernels(Isa isa, KernelTable* table) {
  if (isa == Isa::kAuto) isa = best_isa();
  TERN_CHECK_OR_RETURN(isa_supported(isa), Code::kUnsupported,
                       "isa %s: this CPU does not support it", isa_name(isa));
  TERN_CHECK_OR_RETURN(build_has_kernels_for(isa), Code::kUnsupported,
                       "isa %s: this build has no kernels for it", isa_name(isa));
  *table = KernelTable();
  table->isa = isa;
  // Reference kernels first, then the tier it extends (avxvnni only adds an int8 GEMM to avx2),
  // then the ISA's own kernels, each replacing the previous kind by kind.
  const Isa base = isa == Isa::kAvxVnni ? Isa::kAvx2 : Isa::kRef;
  for (Isa pass : {Isa::kRef, base, isa}) {
#define TERN_KERNEL(kind, name, kisa) \
  if (kisa == pass) {                 \
    table->kind = &name;              \
    table->kind##_name = #name;       \
  }
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  }
  return Status();
}

}  // namespace tern
