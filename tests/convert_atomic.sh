#!/bin/sh
# convert_atomic.sh FAIL_SH WORK CONVERT GOOD_SRC BAD_SRC: tern-convert replaces its output only
# when the conversion succeeds. A failure (a bad checkpoint, a write that fails, a destination
# rename(2) cannot replace) leaves an existing output byte-identical and no temporary file beside it; a success
# replaces the output, with the permissions the umask gives, and leaves nothing else either.
fail_sh=$1; work=$2/atomic; convert=$3; good=$4; bad=$5
set -e
rm -rf "$work" && mkdir -p "$work/a" "$work/b/out.tern" "$work/c"
only() {  # only DIR NAME: DIR holds exactly NAME
  got=$(ls -A "$1")
  [ "$got" = "$2" ] || { echo "$1 holds: $got (expected only $2)"; exit 1; }
}

printf 'an older blob\n' > "$work/a/out.tern"
cp "$work/a/out.tern" "$work/ref"
sh $fail_sh 1 "with other shapes" $convert "$bad" -o "$work/a/out.tern"
cmp "$work/a/out.tern" "$work/ref"
only "$work/a" out.tern

# A write that fails half-way (the file size limit, with SIGXFSZ ignored so write(2) says EFBIG).
(ulimit -f 64; trap '' XFSZ; sh $fail_sh 1 "out.tern: write failed: File too large" $convert "$good" -o "$work/a/out.tern")
cmp "$work/a/out.tern" "$work/ref"
only "$work/a" out.tern

# The whole blob is written before rename(2) fails on a directory: the temporary file goes too.
sh $fail_sh 1 "out.tern: cannot replace it" $convert "$good" -o "$work/b/out.tern"
only "$work/b" out.tern

printf 'an older blob\n' > "$work/c/out.tern"
umask 027
$convert "$good" -o "$work/c/out.tern" > /dev/null
only "$work/c" out.tern
! cmp -s "$work/c/out.tern" "$work/ref"
[ "$(stat -c %a "$work/c/out.tern")" = 640 ] || { echo "mode $(stat -c %a "$work/c/out.tern"), expected 640"; exit 1; }
echo ok
