#!/usr/bin/env bash
# Installs everything tern needs to build and test on Debian 12, from Debian's packages only.
#   scripts/install-deps.sh          native build + tests
#   scripts/install-deps.sh --arm    also the aarch64 and armhf cross toolchains, qemu, and the
#                                    target libraries unpacked into build-deps/sysroot-arm64 and
#                                    build-deps/sysroot-armhf (not via apt: the arm64 -dev packages
#                                    cannot be co-installed with amd64 ones)
set -euo pipefail
cd "$(dirname "$0")/.."

# clang and libclang-rt-14-dev (libFuzzer's runtime) build the fuzz targets (scripts/fuzz.sh);
# python3 writes their small seeds; pkgconf (pkg-config) builds a consumer (tests/consumer/run.sh).
packages=(build-essential cmake libpthreadpool-dev libcpuinfo-dev libxnnpack-dev libflatbuffers-dev
          flatbuffers-compiler doctest-dev nlohmann-json3-dev clang libclang-rt-14-dev python3 pkgconf)
arm=0
[ "${1:-}" = "--arm" ] && arm=1
[ $arm = 1 ] && packages+=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Unpacks the target packages of one Debian architecture into build-deps/sysroot-ARCH. apt runs
# with a private state (lists, status, cache under build-deps/apt-ARCH) that knows only ARCH, so
# the host's dpkg architectures and apt lists are never touched. Its update may fail on an index
# (the armhf security one has, "File has unexpected size"): the main archive is enough.
# The package list is the marker's content: a changed list unpacks again.
target_sysroot() {
  local arch=$1; shift
  local sysroot=$PWD/build-deps/sysroot-$arch a=$PWD/build-deps/apt-$arch
  [ "$(cat "$sysroot/.complete" 2>/dev/null)" = "$*" ] && return 0
  echo "unpacking $arch target libraries into $sysroot"
  rm -rf "$sysroot" "$a" && mkdir -p "$sysroot" "$a/lists/partial" "$a/cache/archives/partial" "$a/debs"
  touch "$a/status"
  local o=(-o Dir::State::Lists="$a/lists" -o Dir::State::status="$a/status" -o Dir::Cache="$a/cache"
           -o APT::Architectures::="$arch" -o APT::Architecture="$arch" -o APT::Sandbox::User=root)
  apt-get "${o[@]}" update -qq || true
  (cd "$a/debs" && apt-get "${o[@]}" download -qq "$@")
  for d in "$a"/debs/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
  echo "$*" > "$sysroot/.complete"
}

if [ $arm = 1 ]; then
  # XNNPACK is not linked yet: it is there for the ARM benchmarks.
  libs=(libpthreadpool0 libpthreadpool-dev libcpuinfo0 libcpuinfo-dev libxnnpack0 libxnnpack-dev)
  target_sysroot arm64 "${libs[@]}"
  target_sysroot armhf "${libs[@]}"
fi
