#!/bin/sh
# convert_refuses.sh EXPECT_FAIL OUTDIR REGEX COMMAND...: COMMAND (a conversion writing into
# OUTDIR) fails with exit 1 and one line matching REGEX, and leaves OUTDIR empty: nothing written.
expect_fail=$1; outdir=$2; regex=$3; shift 3
rm -rf "$outdir" && mkdir -p "$outdir" || exit 1
sh "$expect_fail" 1 "$regex" "$@" || exit 1
left=$(ls -A "$outdir")
[ -z "$left" ] || { echo "left behind in $outdir: $left"; exit 1; }
