# Cross build for aarch64 Linux; tests run under qemu-user (see ../shared/ARM.md). The target's
# pthreadpool and cpuinfo come from TERN_SYSROOT (scripts/install-deps.sh --arm unpacks them).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(TERN_SYSROOT "" CACHE PATH "unpacked arm64 packages")
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu ${TERN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # the host's flatc
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${TERN_SYSROOT}/usr/lib/aarch64-linux-gnu")
# The cross loader's libraries first: mixing it with a multiarch libc6:arm64 made pthreadpool hang.
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib:${TERN_SYSROOT}/usr/lib/aarch64-linux-gnu)
