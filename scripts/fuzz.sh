#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (README.md there lists what each covers).
#   scripts/fuzz.sh TARGET SECONDS   one target for that long, on its corpus
#   scripts/fuzz.sh all SECONDS      each target in turn, one summary line each
#   scripts/fuzz.sh list             the target names
# Configures and builds build-fuzz/ (clang, TERN_BUILD_FUZZ) when needed. Each target's corpus,
# build-fuzz/corpus/TARGET/, is seeded on first use from the suite's fixtures (tests/data), the
# blobs the build converts from them, and tests/fuzz/seeds/; it keeps what the fuzzer adds, so
# later runs start from there. A crash, leak or timeout leaves its input in
# build-fuzz/artifacts/TARGET/ and makes the exit status non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(blob safetensors torch_zip torch_legacy npy config spiece tokenizer c_api)
usage() { echo "usage: scripts/fuzz.sh TARGET|all SECONDS   (targets: ${targets[*]})" >&2; exit 2; }
[ "${1:-}" = list ] && { echo "${targets[*]}"; exit 0; }
[ $# = 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage
if [ "$1" = all ]; then run=("${targets[@]}"); else
  [[ " ${targets[*]} " == *" $1 "* ]] || usage
  run=("$1")
fi
seconds=$2
B=build-fuzz
DATA=tests/data  # the suite's fixtures, as tests/CMakeLists.txt reads them
BLOBS=$B/tests/fuzz/blobs

# Configured once with clang (CMake keeps the compiler of a build directory); the build is
# incremental. -j2 at most: the machines that run this share their cores.
if [ ! -f $B/CMakeCache.txt ]; then
  cmake -S . -B $B -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DTERN_BUILD_FUZZ=ON -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build $B -j2 >/dev/null

# first_bytes FILE: its first two bytes in hex (zip "504b", pickle "80xx").
first_bytes() { head -c 2 "$1" | od -An -tx1 | tr -d ' \n'; }

# seed TARGET: fills build-fuzz/corpus/TARGET from the fixtures, once.
seed() {
  local t=$1 dir=$B/corpus/$1 f i=0
  [ -d "$dir" ] && return 0
  mkdir -p "$dir.tmp"
  # Small ones first: hand-written texts, and what the build's seeds/make_seeds.py wrote.
  for f in tests/fuzz/seeds/$t $B/tests/fuzz/seeds/$t; do
    if [ -d $f ]; then cp $f/* "$dir.tmp/"; fi
  done
  case $t in
    blob) find $BLOBS -name '*.tern' -size -320k -exec cp {} "$dir.tmp/" \; ;;
    safetensors) for f in $(find $DATA -name '*.safetensors'); do cp "$f" "$dir.tmp/$((i++)).safetensors"; done ;;
    torch_zip|torch_legacy)
      for f in $(find $DATA -name '*.bin'); do
        case "$t:$(first_bytes "$f")" in torch_zip:504b|torch_legacy:80*) cp "$f" "$dir.tmp/$((i++)).bin" ;; esac
      done ;;
    npy) for f in $(find $DATA -name '*.npy' -size -64k); do cp "$f" "$dir.tmp/$((i++)).npy"; done ;;
    config) for f in $(find $DATA -name '*.json' -size -16k ! -name meta.json); do cp "$f" "$dir.tmp/$((i++)).json"; done ;;
    spiece) cp $DATA/tokenizer_t5/spiece.model "$dir.tmp/" ;;
    tokenizer|c_api)
      cp tests/fuzz/seeds/text/* $DATA/tokenizer_bert/vocab.txt "$dir.tmp/"
      # Each "text" of the goldens, JSON escapes and all: real sentences in five languages.
      grep -o '"text": *"[^"]*"' $DATA/goldens.json | sed 's/^"text": *"//; s/"$//' | sort -u |
        while IFS= read -r line; do printf '%s' "$line" > "$dir.tmp/golden_$((i++)).txt"; done ;;
  esac
  # The fuzzer would cut them there on every start.
  find "$dir.tmp" -type f -size +"$(max_len "$t")"c -exec truncate -s "$(max_len "$t")" {} +
  mv "$dir.tmp" "$dir"
}

# Longest input per target. Checkpoints: 64 KiB, room for the small seeds' whole structure (the
# fixtures, 0.3 to 1.5 MB, ran twenty times slower and reached no other code; truncated, they
# still seed real headers). Blobs: the shrunk T5 with its tokenizer (314 KB) and the BERT fixtures
# fit. Texts: 1 KiB, three times the SentencePiece scratch of the targets' max_seq 8 sessions (the tokenizers are
# linear in the text, but instrumented they took half a second for 4 KiB: longer only ran slower).
max_len() {
  case $1 in
    blob) echo 320000 ;; safetensors|torch_zip|torch_legacy) echo 65536 ;; npy) echo 65536 ;;
    config) echo 16384 ;; spiece) echo 300000 ;; tokenizer) echo 1024 ;; c_api) echo 1024 ;;
  esac
}

failed=0
for t in "${run[@]}"; do
  seed "$t"
  mkdir -p $B/artifacts/$t $B/logs
  log=$B/logs/$t.log
  status=0
  $B/tests/fuzz/fuzz_$t -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix=$B/artifacts/$t/ $B/corpus/$t > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  corpus=$(ls $B/corpus/$t | wc -l)
  if [ $status = 0 ]; then
    result="ok"
  else
    failed=1
    result="FAILED (exit $status): $(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+|ERROR: libFuzzer: [a-z-]+|==[0-9]+==ERROR: [A-Za-z]+: [a-z-]+' "$log" || echo see log), input $(sed -n 's/.*Test unit written to //p' "$log" | tail -1), log $log"
  fi
  printf '%-14s %10s execs in %ss  %-22s corpus %5s  %s\n' "$t" "${execs:-?}" "$seconds" "${cov:-cov: ?}" "$corpus" "$result"
done
exit $failed
