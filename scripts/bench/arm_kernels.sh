#!/usr/bin/env bash
# Instructions per multiply-accumulate of every GEMM kernel this qemu CPU runs, next to XNNPACK's
# fully-connected operators (Debian's libxnnpack, 2022) on the same shapes, counted under qemu with
# ../shared/tools/icount: (count for 2R repetitions - count for R) / (R * M * N * K), so set-up and
# weight packing are left out.
#   scripts/bench/arm_kernels.sh BUILD_DIR aarch64|arm CPU     e.g. build-arm64 aarch64 cortex-a53
set -euo pipefail
build=$1 arch=$2 cpu=$3
icount=${ICOUNT:-$(dirname "$0")/../../../shared/tools/icount/icount}
case $arch in
  aarch64) lib=build-deps/sysroot-arm64/usr/lib/aarch64-linux-gnu ;;
  arm) lib=build-deps/sysroot-armhf/usr/lib/arm-linux-gnueabihf ;;
esac
driver=$build/tests/tern_kernel_icount

count() {  # NAME M N K REPS
  "$icount" --arch "$arch" --cpu "$cpu" --lib "$lib" -- "$driver" "$@" | awk '/^insns /{print $2}'
}
per_mac() {  # NAME M N K: prints instructions per MAC, or "-" where this CPU cannot run it
  local r=$(( $2 == 1 ? 4 : 1 ))
  local one two
  one=$(count "$1" "$2" "$3" "$4" "$r" 2>/dev/null) || { echo "-"; return; }
  two=$(count "$1" "$2" "$3" "$4" $((2 * r)) 2>/dev/null) || { echo "-"; return; }
  awk -v a="$one" -v b="$two" -v r="$r" -v m="$2" -v n="$3" -v k="$4" 'BEGIN{printf "%.4f", (b - a) / (r * m * n * k)}'
}

shapes=("32 768 768" "1 3072 768" "1 768 3072" "1 32128 512")
kernels=$("$icount" --arch "$arch" --cpu "$cpu" --lib "$lib" -- "$driver" --list |
  awk '$1 == "qgemm" || $1 == "fgemm" || $1 == "hgemm" {print $2}')
printf "| kernel (%s, qemu cpu %s) |" "$arch" "$cpu"
for s in "${shapes[@]}"; do read -r m n k <<<"$s"; printf " %sx%sx%s |" "$m" "$n" "$k"; done
echo; printf "|---|"; for _ in "${shapes[@]}"; do printf -- "---|"; done; echo
for name in $kernels xnnpack_qs8 xnnpack_f32; do
  case $name in *__ref) [ "${WITH_REF:-0}" = 1 ] || continue ;; esac
  printf "| %s |" "$name"
  for s in "${shapes[@]}"; do
    read -r m n k <<<"$s"
    # The reference kernels and float GEMMs are slow under qemu: the small shape only.
    case $name in *__ref | f32_* | xnnpack_f32) [ "$m" = 32 ] || { printf " |"; continue; } ;; esac
    printf " %s |" "$(per_mac "$name" "$m" "$n" "$k")"
  done
  echo
done
