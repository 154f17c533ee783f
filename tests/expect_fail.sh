#!/bin/sh
# expect_fail.sh CODE REGEX COMMAND...: passes when COMMAND exits with CODE (1 bad input, 2 usage)
# and prints exactly one line on stderr, matching REGEX (grep -E).
code=$1; regex=$2; shift 2
err=$("$@" 2>&1 >/dev/null); got=$?
lines=$(printf '%s\n' "$err" | wc -l)
if [ "$got" != "$code" ]; then echo "exit $got, expected $code: $err"; exit 1; fi
if [ "$lines" != 1 ]; then echo "expected one line on stderr, got $lines: $err"; exit 1; fi
printf '%s\n' "$err" | grep -Eq -- "$regex" || { echo "stderr does not match '$regex': $err"; exit 1; }
echo "ok: $err"
