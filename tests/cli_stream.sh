#!/bin/sh
# tern generate --stream prints the text tern generate prints without it (the timing lines apart),
# for greedy, sampling and beam search (which prints when done).
#   usage: cli_stream.sh "EMULATOR" TERN MODEL.tern TEXT
emu=$1 tern=$2 model=$3 text=$4
status=0
for options in "" "--do-sample --seed 1 --top-k 20" "--do-sample --seed 2 --temperature 2" "--num-beams 3 --num-return-sequences 2"; do
  # shellcheck disable=SC2086  # options are words
  plain=$($emu "$tern" generate "$model" "$text" "$text$text" $options --max-new-tokens 24 | grep -v '^    (') || exit 1
  # shellcheck disable=SC2086
  streamed=$($emu "$tern" generate "$model" "$text" "$text$text" $options --max-new-tokens 24 --stream | grep -v '^    (') || exit 1
  if [ "$plain" != "$streamed" ] || [ -z "$plain" ]; then
    printf 'tern generate %s: --stream printed\n%s\nwithout it:\n%s\n' "$options" "$streamed" "$plain"
    status=1
  fi
done
exit $status
