#!/usr/bin/env bash
# All tests: installs what is missing, builds and runs the native tests, then (unless
# TERN_SKIP_ARM=1) cross-builds for aarch64 and runs the same tests under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
arm=1
[ "${TERN_SKIP_ARM:-0}" = 1 ] && arm=0
if [ $arm = 1 ]; then scripts/install-deps.sh --arm; else scripts/install-deps.sh; fi

# Options set explicitly: build/ may have been configured by demo.sh without tests.
opts=(-DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=ON -DTERN_BUILD_CONVERTER=ON -DTERN_BUILD_EXAMPLES=ON)
cmake -S . -B build "${opts[@]}" >/dev/null
cmake --build build -j2
(cd build && ctest -j2 --output-on-failure --no-tests=error)

if [ $arm = 1 ]; then
  cmake -S . -B build-arm64 "${opts[@]}" -DCMAKE_TOOLCHAIN_FILE=scripts/toolchain-aarch64.cmake \
    -DTERN_SYSROOT="$PWD/build-deps/sysroot-arm64" >/dev/null
  cmake --build build-arm64 -j2
  (cd build-arm64 && ctest -j2 --output-on-failure --no-tests=error)
fi
