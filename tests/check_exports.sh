#!/bin/sh
# libtern.so exports the public C and C++ API and nothing else (runtime/api/libtern.map): exactly the
# C functions tern.h declares TERN_API, and the public C++ classes and functions.
#   usage: check_exports.sh NM LIBRARY TERN_H
nm=$1 lib=$2 header=$3
exported=$("$nm" -D --defined-only "$lib" | awk '{print $3}' | c++filt)
others=$(echo "$exported" | grep -v -E '^(tern_[a-z_0-9]+|tern::(Model|Session|Status|Classifier|Embedder|Generator)::.*|tern::(arch_name|activation_name|head_name|code_name|isa_name|parse_isa|version)\(.*)$')
if [ -n "$others" ]; then
  echo "libtern.so exports more than the public API:"
  echo "$others"
  exit 1
fi
declared=$(grep -o 'TERN_API [^(]*(' "$header" | sed -E 's/.*[ *](tern_[a-z_0-9]+)\($/\1/' | sort)
exported_c=$(echo "$exported" | grep -E '^tern_' | sort)
if [ "$declared" != "$exported_c" ]; then
  echo "libtern.so's C functions are not tern.h's (< declared, > exported):"
  echo "$declared" > "${TMPDIR:-/tmp}/tern_declared.$$"
  echo "$exported_c" | diff "${TMPDIR:-/tmp}/tern_declared.$$" - | grep '^[<>]'
  rm -f "${TMPDIR:-/tmp}/tern_declared.$$"
  exit 1
fi
for needed in tern_version 'tern::version()' 'tern::Model::load(char const\*)' 'tern::Session::create(' 'tern::Classifier::create(' 'tern::Generator::generate('; do
  echo "$exported" | grep -q "^$needed" || { echo "libtern.so does not export $needed"; exit 1; }
done
echo "libtern.so exports $(echo "$exported" | wc -l) symbols, all of the public API: the $(echo "$declared" | wc -l) C functions of tern.h and the C++ API"
