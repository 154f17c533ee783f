#!/usr/bin/env bash
# Whole runs on ARM, counted in instructions under qemu (../shared/tools/icount; time under emulation
# means nothing): one `tern classify` with the langid model and one `tern generate` with en-de, per
# sentence (the count for three copies of the sentence minus the count for one, halved, so start-up
# and loading are left out), for each kernel tier against --isa ref on the same binary.
#   scripts/bench/arm_runs.sh BUILD_DIR aarch64|arm CPU [TIER...]    e.g. build-arm64 aarch64 max neondot i8mm
# BUILD_DIR is a cross build with its tests' blobs converted (ctest has run there).
set -euo pipefail
build=$1 arch=$2 cpu=$3
shift 3
icount=${ICOUNT:-$(dirname "$0")/../../../shared/tools/icount/icount}
case $arch in
  aarch64) lib=build-deps/sysroot-arm64/usr/lib/aarch64-linux-gnu ;;
  arm) lib=build-deps/sysroot-armhf/usr/lib/arm-linux-gnueabihf ;;
esac
classify_text="Die Datei konnte nicht gelesen werden, weil sie nicht existiert."
generate_text="translate English to German: The file could not be read because it does not exist."

count() {  # count ISA N COMMAND ARGS... : instructions for the command with its text repeated N times
  local isa=$1 n=$2 cmd=$3 blob=$4 text=$5
  local texts=()
  for _ in $(seq "$n"); do texts+=("$text"); done
  "$icount" --arch "$arch" --cpu "$cpu" --lib "$lib" -- "$build/tern" "$cmd" "$blob" "${texts[@]}" --isa "$isa" \
    | awk '/^insns /{print $2}'
}

per_sentence() {  # ISA COMMAND BLOB TEXT
  local one three
  one=$(count "$1" 1 "$2" "$3" "$4")
  three=$(count "$1" 3 "$2" "$3" "$4")
  echo $(((three - one) / 2))
}

echo "| run ($arch, qemu cpu $cpu) | isa | instructions per sentence | ref / isa |"
echo "|---|---|---|---|"
for job in "classify $build/tests/blobs/langid.tern $classify_text" "generate $build/tests/blobs/en-de.tern $generate_text"; do
  read -r cmd blob text <<<"$job"
  ref=$(per_sentence ref "$cmd" "$blob" "$text")
  echo "| tern $cmd $(basename "$blob") | ref | $ref | 1.0 |"
  for isa in "$@"; do
    n=$(per_sentence "$isa" "$cmd" "$blob" "$text")
    echo "| tern $cmd $(basename "$blob") | $isa | $n | $(awk -v a="$ref" -v b="$n" 'BEGIN{printf "%.1f", a/b}') |"
  done
done
