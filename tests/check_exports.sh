#!/bin/sh
# libtern.so exports the public C and C++ API and nothing else (runtime/api/libtern.map).
#   usage: check_exports.sh NM LIBRARY
nm=$1 lib=$2
exported=$("$nm" -D --defined-only "$lib" | awk '{print $3}' | c++filt)
others=$(echo "$exported" | grep -v -E '^(tern_[a-z_]+|tern::(Model|Session|Status|Classifier|Embedder|Generator)::.*|tern::(arch_name|activation_name|head_name|code_name|isa_name|parse_isa|version)\(.*)$')
if [ -n "$others" ]; then
  echo "libtern.so exports more than the public API:"
  echo "$others"
  exit 1
fi
for needed in tern_model_load tern_classify tern_version 'tern::version()' 'tern::Model::load(char const\*)' 'tern::Session::create('; do
  echo "$exported" | grep -q "^$needed" || { echo "libtern.so does not export $needed"; exit 1; }
done
echo "libtern.so exports $(echo "$exported" | wc -l) symbols, all of the public API"
