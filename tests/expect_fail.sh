#!/bin/sh
# expect_fail.sh [--one-line] CODE REGEX COMMAND...: passes when COMMAND exits with CODE and its
# stderr matches REGEX (grep -E). Exit code 1 (bad input) must print exactly one line on stderr;
# --one-line asks the same of other codes (tern-convert's usage errors are one line too).
one_line=0
if [ "$1" = --one-line ]; then one_line=1; shift; fi
code=$1; regex=$2; shift 2
err=$("$@" 2>&1 >/dev/null); got=$?
lines=$(printf '%s\n' "$err" | wc -l)
if [ "$got" != "$code" ]; then echo "exit $got, expected $code: $err"; exit 1; fi
if { [ "$code" = 1 ] || [ "$one_line" = 1 ]; } && [ "$lines" != 1 ]; then
  echo "expected one line on stderr, got $lines: $err"; exit 1
fi
printf '%s\n' "$err" | grep -Eq -- "$regex" || { echo "stderr does not match '$regex': $err"; exit 1; }
echo "ok: $err"
