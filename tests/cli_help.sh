#!/bin/sh
# cli_help.sh "EMULATOR" TERN TERN_CONVERT CLI_MAIN_CC CONVERT_MAIN_CC: for each command `tern --help`
# lists (the commands of the source's table, no more, no fewer) and for tern-convert, `--help` (and
# -h) exits 0 on stdout, lists exactly the options of the source's option table for it, the parser
# accepts every option listed, and refuses as unknown every option of the table it does not list.
set -u
emu=$1 tern=$2 convert=$3 cli_src=$4 convert_src=$5
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
fails=0 checked=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# "NAME[ VALUE]" of each option line of a help text: "  [-h, ]NAME[ VALUE]  what it does ...".
help_options() { sed -n 's/^  \(-h, \)\{0,1\}\(--*[a-z][a-z-]*\)\( [^ ]\{1,\}\)\{0,1\}  .*/\2\3/p' "$1"; }
# "NAME ROW" of each row of a source's kOptions table (its first line: name, value, commands, ...).
table_rows() { awk '/^const Option kOptions\[\] = \{/ { on = 1; next } on && /^};/ { on = 0 } on' "$1" |
               sed -n 's/^  {"\(--*[a-z][a-z-]*\)", \(.*\)/\1 \2/p'; }

# check NAME HELP_FILE TABLE_NAMES ALL_NAMES "COMMAND": the options HELP_FILE lists are TABLE_NAMES;
# COMMAND plus each of them (and a value if it takes one) does not say "unknown option"; COMMAND
# plus each other option of ALL_NAMES, and a made-up one, does. (COMMAND is split at spaces.)
check() {
  name=$1 help=$2 expected=$3 all=$4 cmd=$5
  help_options "$help" > "$work/listed"
  cut -d' ' -f1 "$work/listed" | sort -u > "$work/listed_names"
  [ "$(wc -l < "$work/listed_names")" -ge 2 ] || fail "$name: --help lists fewer than 2 options"
  grep -qx -- '--help' "$work/listed_names" || fail "$name: --help does not list --help"
  diff "$expected" "$work/listed_names" > "$work/diff" || fail "$name: --help and the source's table differ (< table, > help): $(cat "$work/diff")"
  while read -r opt value; do
    if [ -n "$value" ]; then $cmd "$opt" 1 > /dev/null 2> "$work/err"; else $cmd "$opt" > /dev/null 2> "$work/err"; fi
    grep -q 'unknown option' "$work/err" && fail "$name: $opt is listed but refused: $(cat "$work/err")"
    checked=$((checked + 1))
  done < "$work/listed"
  for opt in $(comm -23 "$all" "$work/listed_names") --no-such-option; do
    $cmd "$opt" 1 > /dev/null 2> "$work/err"
    grep -q "unknown option $opt" "$work/err" || fail "$name: $opt is not listed, yet not refused as unknown: $(cat "$work/err")"
    checked=$((checked + 1))
  done
}

# --help and -h: the same text, on stdout, nothing on stderr, exit 0.
help_of() {
  out=$1; shift
  "$@" --help > "$out" 2> "$work/err" || fail "$*: --help exits $?"
  [ -s "$work/err" ] && fail "$*: --help wrote to stderr: $(cat "$work/err")"
  "$@" -h > "$work/h" 2> /dev/null || fail "$*: -h exits $?"
  cmp -s "$out" "$work/h" || fail "$*: -h and --help differ"
}

# tern: the commands of its help against the source's command table.
$emu $tern --help > "$work/overview" || fail "tern --help exits $?"
awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' "$work/overview" | sort > "$work/commands"
sed -n 's/^  {"\([a-z]*\)", k[A-Za-z]*, .*/\1/p' "$cli_src" | sort > "$work/table_commands"
[ "$(wc -l < "$work/commands")" -ge 7 ] || fail "tern --help lists fewer than 7 commands"
diff "$work/table_commands" "$work/commands" > "$work/diff" || fail "tern --help and the command table differ: $(cat "$work/diff")"
table_rows "$cli_src" > "$work/rows"
cut -d' ' -f1 "$work/rows" | sort -u > "$work/all"
for c in $(cat "$work/commands"); do
  bit=k$(printf '%s' "$c" | cut -c1 | tr a-z A-Z)$(printf '%s' "$c" | cut -c2-)
  grep -E "[ |]($bit|kAll)([ |,]|$)" "$work/rows" | cut -d' ' -f1 | sort -u > "$work/expected"
  help_of "$work/help" $emu $tern "$c"
  head -n1 "$work/help" | grep -q "^usage: tern $c " || fail "tern $c --help: no usage line"
  check "tern $c" "$work/help" "$work/expected" "$work/all" "$emu $tern $c $work/no-such-model.tern"
done

# tern-convert.
table_rows "$convert_src" | cut -d' ' -f1 | sort -u > "$work/convert_all"
help_of "$work/convert_help" $emu $convert
check tern-convert "$work/convert_help" "$work/convert_all" "$work/convert_all" \
  "$emu $convert $work/no-such-dir -o $work/x.tern"

[ "$checked" -ge 60 ] || fail "only $checked options checked"
[ "$fails" = 0 ] || exit 1
echo "ok: $checked options checked"
