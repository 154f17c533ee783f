#!/bin/sh
# cli_info_json.sh "EMULATOR" TERN MODEL.tern: `tern info --json` is one valid JSON object with a
# member for each line group of `tern info` (the label before the colon, spaces as underscores;
# "task" lines are the array "tasks"), and both give the same arena size.
set -u
emu=$1 tern=$2 model=$3
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
$emu $tern info "$model" > "$work/text" || { echo "tern info exits $?"; exit 1; }
$emu $tern info "$model" --json > "$work/json" || { echo "tern info --json exits $?"; exit 1; }
[ "$(wc -l < "$work/json")" = 1 ] || { echo "not one line"; exit 1; }
python3 -m json.tool "$work/json" > /dev/null || { echo "not valid JSON: $(cat "$work/json")"; exit 1; }
sed -n 's/^\([a-z][a-z0-9 ]*\):.*/\1/p' "$work/text" | sed 's/ /_/g; s/^task$/tasks/' | sort -u > "$work/labels"
[ "$(wc -l < "$work/labels")" -ge 9 ] || { echo "too few lines in tern info: $(cat "$work/text")"; exit 1; }
python3 - "$work/json" "$work/labels" "$work/text" <<'PY' || exit 1
import json, re, sys
facts = json.load(open(sys.argv[1]))
labels = open(sys.argv[2]).read().split()
missing = [l for l in labels if l not in facts]
text_bytes = int(re.search(r"^arena: *(\d+) bytes", open(sys.argv[3]).read(), re.M).group(1))
if missing or facts["arena"]["bytes"] != text_bytes or not facts["arena_plan"]:
    sys.exit(f"missing {missing}, arena {facts['arena']['bytes']} vs {text_bytes}: {facts}")
print(f"ok: {len(labels)} groups: {' '.join(labels)}")
PY
