# Cross build for 32-bit ARM Linux (armv7-a, hard float: Debian's armhf); tests run under
# qemu-user (see ../shared/ARM.md). The target's pthreadpool and cpuinfo come from TERN_SYSROOT
# (scripts/install-deps.sh --arm unpacks them into build-deps/sysroot-armhf).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(TERN_SYSROOT "" CACHE PATH "unpacked armhf packages")
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf ${TERN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # the host's flatc
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${TERN_SYSROOT}/usr/lib/arm-linux-gnueabihf")
# The cross loader's libraries first: mixing it with a multiarch libc6 made pthreadpool hang.
# The CPU is a Cortex-A15 (NEON, VFPv4) unless the environment variable QEMU_CPU, which qemu reads
# itself, names another one when the tests run (QEMU_CPU=cortex-a8 ctest): qemu-armv7.sh passes
# -cpu only as that default, because a -cpu option would win over QEMU_CPU.
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${CMAKE_CURRENT_LIST_DIR}/qemu-armv7.sh;-L;/usr/arm-linux-gnueabihf;-E;LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib:${TERN_SYSROOT}/usr/lib/arm-linux-gnueabihf)
