#!/bin/sh
# Port objects must define no weak symbols: the linker keeps any one weak copy of an inline function,
# and a copy compiled with a port's ISA flags would then run under --isa ref on a CPU without that
# ISA. Port sources include only intrinsics headers, kernels/kernels.h and their own folder's headers
# (helpers with internal linkage, such as vector_math.h), which is what keeps such copies out. Run on objects built at -O0, where nothing is
# inlined away.   usage: check_ports.sh NM SOURCE_DIR OBJECTS (one ;-separated list, as CTest passes
# $<TARGET_OBJECTS:...>)
nm=$1 src=$2
shift 2
set -- $(echo "$*" | tr ';' ' ')
status=0
bad_includes=$(grep -Hn '^#include' "$src"/ports/*/*/*.cc "$src"/ports/*/*/*.h 2>/dev/null |
  grep -v -E -e '#include <(immintrin|arm_neon)\.h>' -e '#include "kernels/kernels\.h"' \
             -e '#include "[a-z0-9_]+\.h"' -e '#include "\.\./(avx2|avx512vnni)/vector_math\.h"')
if [ -n "$bad_includes" ]; then
  echo "port files may include only intrinsics headers, kernels/kernels.h and their folder's headers:"
  echo "$bad_includes"
  status=1
fi
for o in "$@"; do
  weak=$("$nm" "$o" | awk '{ t = NF == 3 ? $2 : $1 } t ~ /^[WwVvu]$/')
  if [ -n "$weak" ]; then
    echo "$(basename "$o"): weak definitions in a port object:"
    echo "$weak"
    status=1
  fi
done
[ $status = 0 ] && echo "$# port objects: no weak symbols, includes as allowed"
exit $status
