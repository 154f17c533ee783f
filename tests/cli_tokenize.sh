#!/bin/sh
# cli_tokenize.sh "EMULATOR" TERN BLOBS: `tern tokenize` prints ID:TOKEN for each token of each text
# (one line per text), for a WordPiece, a SentencePiece and a byte-level BPE model, and --decode of
# those ids gives the text back.
set -u
emu=$1 tern=$2 blobs=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# case BLOB TEXT REGEX DECODED: the line matches REGEX; the ids decode to DECODED.
case_() {
  out=$($emu $tern tokenize "$blobs/$1" "$2" "$2") || { fail "$1: exit $?"; return; }
  [ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "$1: not one line per text: $out"
  line=$(printf '%s\n' "$out" | head -n1)
  printf '%s\n' "$line" | grep -Eq -- "$3" || fail "$1: '$line' does not match '$3'"
  ids=$(printf '%s\n' "$line" | tr ' ' '\n' | cut -d: -f1)
  decoded=$($emu $tern tokenize "$blobs/$1" --decode $ids)
  [ "$decoded" = "$4" ] || fail "$1: --decode $ids gives '$decoded', not '$4'"
  echo "ok: $1: $line"
}
case_ bert_zip_int8.tern "Hello, world!" '^[0-9]+:\[CLS\] ([0-9]+:[^ ]+ )+[0-9]+:\[SEP\]$' "hello, world!"
case_ t5_tokenizer_legacy.tern "Hello world." '^([0-9]+:[^ ]+ )*[0-9]+:▁[^ ]* ([0-9]+:[^ ]+ )*1:</s>$' "Hello world."
case_ tokenizer_roberta.tern "Hello world" '^0:<s> ([0-9]+:[^ ]+ )*[0-9]+:Ġ[^ ]* ([0-9]+:[^ ]+ )*2:</s>$' "Hello world"
[ "$fails" = 0 ] || exit 1
