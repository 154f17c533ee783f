#include <cpuinfo.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) || defined(__arm__)
#include <sys/auxv.h>
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
    case Isa::kAmx: return "amx";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
    case Isa::kI8mm: return "i8mm";
  }
  return "?";
}

Result<Isa> parse_isa(const char* name) {
  if (std::strcmp(name, "auto") == 0) return Isa::kAuto;
  for (Isa isa : kAllIsas)
    if (std::strcmp(name, isa_name(isa)) == 0) return isa;
  return Status::error(Code::kInvalidArgument,
                       "unknown isa '%s' (expected auto, ref, avx2, avxvnni, avx512vnni, amx, neon, neondot or i8mm)",
                       name);
}

namespace {

// Each tier and the tier it extends: its kernels replace the parent's, kind by kind, and a kind it
// has no kernel for comes from the parent (ref at the root).
struct Tier {
  Isa isa, parent;
};
constexpr Tier kTiers[] = {
    {Isa::kAvx2, Isa::kRef},  {Isa::kAvxVnni, Isa::kAvx2},  {Isa::kAvx512Vnni, Isa::kRef}, {Isa::kAmx, Isa::kAvx512Vnni},
    {Isa::kNeon, Isa::kRef},  {Isa::kNeonDot, Isa::kNeon},  {Isa::kI8mm, Isa::kNeonDot},
};

Isa parent_of(Isa isa) {
  for (const Tier& t : kTiers)
    if (t.isa == isa) return t.parent;
  return Isa::kRef;
}

#if defined(__x86_64__)
// AVX-VNNI is CPUID leaf 7 subleaf 1, EAX bit 4 (this cpuinfo predates it). The OS saves the ymm
// state it needs whenever it does for AVX2, which cpuinfo checks.
bool has_avx_vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
}

// Why AMX cannot run here, or nullptr. Besides the CPU (CPUID leaf 7: EDX bit 24 AMX-TILE, bit 25
// AMX-INT8), the OS must enable the tile state in XCR0 (bits 17 XTILECFG, 18 XTILEDATA) and, on
// Linux 5.16 and later, grant it to this process: arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA),
// asked once (it sizes the signal stack for the 8 KB of tile data); without it the first tile
// instruction kills the process.
const char* amx_refusal() {
  static const char* const reason = []() -> const char* {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(edx & (1u << 24)) || !(edx & (1u << 25)))
      return "this CPU has no AMX-INT8";
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return "the OS does not enable XSAVE";
    unsigned xcr0_low = 0, xcr0_high = 0;
    asm volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & (3u << 17)) != (3u << 17)) return "the OS does not enable the AMX tile state (XCR0)";
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
      return "the OS refused this process the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM; Linux 5.16+)";
    return nullptr;
  }();
  return reason;
}
#endif

// ARM features from the kernel's hwcaps (what the OS enables; correct under qemu-user too). The
// bit values are the Linux UAPI's, spelled out because older libc headers lack the newer ones.
#if defined(__aarch64__)
bool arm_has(Isa isa) {
  const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  const bool asimd = hwcap & (1ul << 1), asimddp = hwcap & (1ul << 20), i8mm = hwcap2 & (1ul << 13);
  return isa == Isa::kNeon ? asimd : isa == Isa::kNeonDot ? asimd && asimddp : isa == Isa::kI8mm && asimd && i8mm;
}
#elif defined(__arm__)
bool arm_has(Isa isa) {  // the 32-bit tier is compiled for NEON with VFPv4 (fused multiply-add)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  return isa == Isa::kNeon && (hwcap & (1ul << 12)) && (hwcap & (1ul << 16));
}
#endif

}  // namespace

bool isa_supported(Isa isa) {
  if (isa == Isa::kRef) return true;
#if defined(__aarch64__) || defined(__arm__)
  return arm_has(isa);
#else
  if (!cpuinfo_initialize()) return false;
  switch (isa) {
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    case Isa::kAvx2: return cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
    case Isa::kAvxVnni: return isa_supported(Isa::kAvx2) && has_avx_vnni();
    case Isa::kAvx512Vnni:  // every extension the tier's sources are compiled with
      return cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() && cpuinfo_has_x86_avx512vl() &&
             cpuinfo_has_x86_avx512vnni() && cpuinfo_has_x86_fma3();
    case Isa::kAmx: return isa_supported(Isa::kAvx512Vnni) && amx_refusal() == nullptr;
#endif
    default: return false;
  }
#endif
}

bool isa_built(Isa isa) {
#define TERN_KERNEL(kind, name, kisa, mr, nr, kr) \
  if (kisa == isa) return true;
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  return false;
}

const char* isa_refusal(Isa isa) {
  if (isa_supported(isa)) return nullptr;
#if defined(__x86_64__)
  if (isa == Isa::kAmx && amx_refusal()) return amx_refusal();
#endif
  return "not on this CPU";
}

// kAmx is left out until its kernel has run on AMX hardware (CPUs here had none): `--isa amx` only.
Isa best_isa() {
  for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kI8mm, Isa::kNeonDot, Isa::kNeon})
    if (isa_built(isa) && isa_supported(isa)) return isa;
  return Isa::kRef;
}

Status select_kernels(Isa isa, KernelTable* table) {
  if (isa == Isa::kAuto) isa = best_isa();
  TERN_CHECK_OR_RETURN(isa_supported(isa), Code::kUnsupported, "isa %s: %s", isa_name(isa), isa_refusal(isa));
  TERN_CHECK_OR_RETURN(isa_built(isa), Code::kUnsupported,
                       "isa %s: this build has no kernels for it", isa_name(isa));
  // The chain from the root to this tier (ref, neon, neondot, i8mm), applied in that order.
  Isa chain[8];
  size_t depth = 0;
  for (Isa t = isa; depth < 8; t = parent_of(t)) {
    chain[depth++] = t;
    if (t == Isa::kRef) break;
  }
  *table = KernelTable();
  table->isa = isa;
  while (depth > 0) {
    const Isa pass = chain[--depth];
#define TERN_KERNEL(kind, name, kisa, mr, nr, kr) \
  if (kisa == pass) table->kind = {&name, #name, mr, nr, kr};
#include "kernels/kernels.inc"
#undef TERN_KERNEL
  }
  return Status();
}

}  // namespace tern
