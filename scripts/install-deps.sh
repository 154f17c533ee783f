#!/usr/bin/env bash
# Installs everything tern needs to build and test on Debian 12, from Debian's packages only.
#   scripts/install-deps.sh          native build + tests
#   scripts/install-deps.sh --arm    also the aarch64 cross toolchain, qemu, and the target
#                                    libraries unpacked into build-deps/sysroot-arm64 (not via apt:
#                                    the arm64 -dev packages cannot be co-installed with amd64 ones)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake libpthreadpool-dev libcpuinfo-dev libxnnpack-dev libflatbuffers-dev
          flatbuffers-compiler doctest-dev nlohmann-json3-dev)
arm=0
[ "${1:-}" = "--arm" ] && arm=1
[ $arm = 1 ] && packages+=(g++-aarch64-linux-gnu qemu-user)

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

if [ $arm = 1 ]; then
  sysroot=build-deps/sysroot-arm64
  if [ ! -f "$sysroot/.complete" ]; then
    dpkg --print-foreign-architectures | grep -q arm64 || {
      $sudo dpkg --add-architecture arm64
      $sudo apt-get update -qq || true   # arm64 lists only; amd64 ones are already fresh
    }
    rm -rf "$sysroot" build-deps/debs && mkdir -p "$sysroot" build-deps/debs
    (cd build-deps/debs && apt-get -o APT::Sandbox::User=root download -qq \
      libpthreadpool0:arm64 libpthreadpool-dev:arm64 \
      libcpuinfo0:arm64 libcpuinfo-dev:arm64)
    for d in build-deps/debs/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
    touch "$sysroot/.complete"
  fi
fi
