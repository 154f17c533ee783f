#include <cpuinfo.h>

#include <cstring>

#include "kernels/kernels.h"

namespace tern {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAuto: return "auto";
    case Isa::kRef: return "ref";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
  }
  return "?";
}

Result<Isa> parse_isa(const char* name) {
  for (Isa isa : {Isa::kAuto, Isa::kRef, Isa::kAvx2, Isa::kAvx512Vnni, Isa::kNeon, Isa::kNeonDot})
    if (std::strcmp(name, isa_name(isa)) == 0) return isa;
  return Status::error(Code::kInvalidArgument,
                       "unknown isa '%s' (expected auto, ref, avx2, avx512vnni, neon or neondot)",
                       name);
}

bool isa_supported(Isa isa) {
  if (isa == Isa::kRef) return true;
  if (!cpuinfo_initialize()) return false;
  switch (isa) {
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    case Isa::kAvx2: return cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
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
  for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kNeonDot, Isa::kNeon})
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
  // Reference kernels first, then the ISA's own kernels replace them kind by kind.
  for (Isa pass : {Isa::kRef, isa}) {
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
