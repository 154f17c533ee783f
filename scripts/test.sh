#!/usr/bin/env bash
# All tests: installs what is missing, builds and runs the native tests, then (unless
# TERN_SKIP_ARM=1) cross-builds for aarch64 and runs the same tests under qemu, again on a
# Cortex-A53 (ARMv8.0, no dotprod: a kernel chosen for a feature the CPU lacks dies with SIGILL),
# then cross-builds for armv7 (32-bit, armhf) and runs them under qemu-arm.
set -euo pipefail
cd "$(dirname "$0")/.."
arm=1
[ "${TERN_SKIP_ARM:-0}" = 1 ] && arm=0
if [ $arm = 1 ]; then scripts/install-deps.sh --arm; else scripts/install-deps.sh; fi

job() { echo "=== tern test.sh: $* ==="; }
# Options set explicitly: build/ may have been configured by demo.sh without tests.
opts=(-DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=ON -DTERN_BUILD_CONVERTER=ON -DTERN_BUILD_EXAMPLES=ON -DTERN_BUILD_SHARED=ON)
ctest_all() { (cd "$1" && ctest -j2 --output-on-failure --no-tests=error); }
# cross BUILD_DIR TOOLCHAIN SYSROOT: configure and build with a cross toolchain (which CMake reads
# only on the first configure, hence no "unused variable" warning on later ones).
cross() {
  cmake -S . -B "$1" "${opts[@]}" --no-warn-unused-cli -DCMAKE_TOOLCHAIN_FILE="$2" -DTERN_SYSROOT="$PWD/$3" >/dev/null
  cmake --build "$1" -j2
}

job "native: build and test (build/)"
cmake -S . -B build "${opts[@]}" >/dev/null
cmake --build build -j2
ctest_all build

# tern as a user gets it: installed (find_package, pkg-config) and through add_subdirectory, with a
# C and a C++ program on the langid model the native job converted (tests/consumer/run.sh).
job "consumers: install, find_package, pkg-config, add_subdirectory (temporary directory)"
tests/consumer/run.sh build/tests/blobs/langid.tern

if [ $arm = 1 ]; then
  job "aarch64: cross-build and test under qemu-aarch64 (build-arm64/)"
  cross build-arm64 scripts/toolchain-aarch64.cmake build-deps/sysroot-arm64
  ctest_all build-arm64
  job "aarch64: the same tests on QEMU_CPU=cortex-a53 (ARMv8.0, no dotprod), no rebuild"
  QEMU_CPU=cortex-a53 ctest_all build-arm64
  job "armv7: cross-build and test under qemu-arm (build-armv7/)"
  cross build-armv7 scripts/toolchain-armv7.cmake build-deps/sysroot-armhf
  ctest_all build-armv7
fi

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer, no suppressions
# (TERN_SKIP_SANITIZERS=1 skips it).
if [ "${TERN_SKIP_SANITIZERS:-0}" != 1 ]; then
  job "native under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
  san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake -S . -B build-asan "${opts[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_BUILD_SHARED=OFF \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
  cmake --build build-asan -j2
  ctest_all build-asan
fi

# The concurrency test (one Model, sessions on several threads, bit-identical results) under
# ThreadSanitizer; its sessions run single-threaded there (the test says why).
if [ "${TERN_SKIP_SANITIZERS:-0}" != 1 ]; then
  job "native under ThreadSanitizer: the concurrency test (build-tsan/)"
  cmake -S . -B build-tsan "${opts[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_BUILD_SHARED=OFF \
    -DTERN_BUILD_EXAMPLES=OFF -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_C_FLAGS=-fsanitize=thread \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
  cmake --build build-tsan -j2 --target tern_tests tern_convert
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest -j2 --output-on-failure --no-tests=error -R '^concurrency$')
fi

# Every libFuzzer target of tests/fuzz for a while on its corpus, clang with ASan + UBSan
# (scripts/fuzz.sh; TERN_SKIP_FUZZ=1 skips it, TERN_FUZZ_SECONDS sets the time per target).
if [ "${TERN_SKIP_FUZZ:-0}" != 1 ]; then
  job "fuzz: each target for ${TERN_FUZZ_SECONDS:-30} s (build-fuzz/)"
  scripts/fuzz.sh all "${TERN_FUZZ_SECONDS:-30}"
fi
