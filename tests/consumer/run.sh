#!/usr/bin/env bash
# Builds tern the way a user would and links the programs here against it: the C one (tern/tern.h)
# and the C++ one (tern/tasks.h) each through find_package (shared and static), pkg-config (shared
# and static) and add_subdirectory. Every program must print the model's label for a German text.
#   tests/consumer/run.sh MODEL.tern      (the langid model, e.g. build/tests/blobs/langid.tern)
# Two builds of libtern: one installed into a temporary prefix, one inside the add_subdirectory project.
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 MODEL.tern (the bundled langid model, converted)" >&2; exit 2; }
model=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
text='Das Haus ist wunderbar.'

# expect NAME LINKAGE PROGRAM: PROGRAM prints "de" and links libtern shared or static as LINKAGE says.
expect() {
  local out
  out=$("$3" "$model" "$text") || { echo "FAIL $1: exit $?"; exit 1; }
  [ "$out" = de ] || { echo "FAIL $1: printed '$out', expected 'de'"; exit 1; }
  if readelf -d "$3" | grep -q 'NEEDED.*libtern\.so'; then linked=shared; else linked=static; fi
  [ "$linked" = "$2" ] || { echo "FAIL $1: links libtern $linked, expected $2"; exit 1; }
  echo "ok $1 ($2)"
}

echo "building and installing tern (Release, static and shared) into a temporary prefix"
cmake -S "$src" -B "$work/tern" -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_SHARED=ON -DTERN_BUILD_TESTS=OFF \
  -DTERN_BUILD_CONVERTER=OFF -DTERN_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$work/tern" -j2 >/dev/null
cmake --install "$work/tern" >/dev/null
"$prefix/bin/tern" --version | grep -qx 'tern [0-9]*\.[0-9]*\.[0-9]* (model format [0-9]*\.[0-9]*)'
echo "ok installed tern --version"

# find_package(tern CONFIG): tern::tern (the shared library, installed here) and tern::tern_static.
for target in tern::tern tern::tern_static; do
  linkage=shared
  [ $target = tern::tern_static ] && linkage=static
  for lang in c cpp; do
    b=$work/find_${lang}_$linkage
    cmake -S "$here/$lang" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" -DTERN_TARGET=$target >/dev/null
    cmake --build "$b" >/dev/null
    expect "find_package $lang $target" $linkage "$b"/classify_*
  done
done

# pkg-config: the shared library; static with --static and libtern.a named.
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name tern.pc)")
cflags=$(pkg-config --cflags tern)
libdir=$(pkg-config --variable=libdir tern)
cc "$here/c/classify.c" -o "$work/pc_c" $cflags $(pkg-config --libs tern) -Wl,-rpath,"$libdir"
expect "pkg-config c" shared "$work/pc_c"
c++ -std=c++17 "$here/cpp/classify.cc" -o "$work/pc_cpp" $cflags $(pkg-config --libs tern) -Wl,-rpath,"$libdir"
expect "pkg-config cpp" shared "$work/pc_cpp"
static_libs=$(pkg-config --static --libs tern | sed 's/-ltern\b/-l:libtern.a/')
cc "$here/c/classify.c" -o "$work/pc_c_static" $cflags $static_libs
expect "pkg-config --static c" static "$work/pc_c_static"

# add_subdirectory: tern's source tree inside another project (its defaults there: libtern only).
echo "building tern inside a project that adds it with add_subdirectory"
cmake -S "$here/subproject" -B "$work/sub" -DCMAKE_BUILD_TYPE=Release -DTERN_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/sub" -j2 >/dev/null
for lang in c cpp; do
  expect "add_subdirectory $lang" static "$work/sub/classify_$lang"
done
echo "consumers: all passed"
