# Cross build for Android with the NDK's own toolchain file. UNTESTED: no NDK can be installed here
# (only Debian's packages are reachable), so this has never configured or run; it states what the
# build needs from an NDK setup:
#   cmake -S . -B build-android -DCMAKE_TOOLCHAIN_FILE=scripts/toolchain-android.cmake \
#     -DANDROID_NDK=/path/to/ndk [-DANDROID_ABI=arm64-v8a|armeabi-v7a] [-DANDROID_PLATFORM=android-24] \
#     -DTERN_SYSROOT=/path/to/android/pthreadpool+cpuinfo -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_CONVERTER=OFF
# - pthreadpool and cpuinfo for Android are not Debian packages: build them with the same NDK and
#   point TERN_SYSROOT at their install prefix (include/, lib/).
# - The kernel tier is chosen at run time from getauxval(AT_HWCAP/AT_HWCAP2) (Android API 18+):
#   arm64-v8a gets neon, neondot or i8mm; armeabi-v7a the 32-bit neon tier (NEON with VFPv4, which
#   every armeabi-v7a device since API 21 effectively has; older devices without VFPv4 run ref).
# - The host's flatc generates the schema header (CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER below).
set(ANDROID_ABI "arm64-v8a" CACHE STRING "arm64-v8a or armeabi-v7a")
set(ANDROID_PLATFORM "android-24" CACHE STRING "minimum API level")
set(ANDROID_STL "c++_static" CACHE STRING "")
if(NOT ANDROID_NDK)
  set(ANDROID_NDK "$ENV{ANDROID_NDK}")
endif()
if(NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "toolchain-android.cmake: set ANDROID_NDK (-DANDROID_NDK=... or the environment) to an NDK")
endif()
include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
set(TERN_SYSROOT "" CACHE PATH "pthreadpool and cpuinfo built for this ABI")
list(APPEND CMAKE_FIND_ROOT_PATH ${TERN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
