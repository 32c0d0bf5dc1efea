#!/bin/sh
# Part of qlc. SPDX-License-Identifier: Apache-2.0
#
# bad-input.sh TOOL WORKDIR - ctest fmnist-npz-bad-input: qlc-fmnist-npz
# must exit 1 with "error: FILE: what" and write no output for a missing
# file and for a truncated gzip stream. A well-formed tiny IDX pair built
# here is converted first, as a control, and the truncated file is that
# same gzip with its last 10 bytes cut. Exits 77 (skip) without gzip/head.
set -u
tool=$1
work=$2
for cmd in gzip head wc printf; do
  command -v "$cmd" >/dev/null 2>&1 ||
    { echo "skipped: '$cmd' not found"; exit 77; }
done
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1
failures=0

# IDX: images magic 2051, dims 2 x 28 x 28; labels magic 2049, dim 2.
{ printf '\000\000\010\003\000\000\000\002\000\000\000\034\000\000\000\034'
  head -c 1568 /dev/zero; } | gzip -c >images.gz
printf '\000\000\010\001\000\000\000\002\007\003' | gzip -c >labels.gz
size=$(wc -c <images.gz)
head -c $((size - 10)) images.gz >truncated.gz

# expect_error DESCRIPTION PATTERN ARGS...: exit 1, PATTERN in stderr.
expect_error() {
  what=$1 pattern=$2
  shift 2
  rm -f out.npz
  "$tool" "$@" >stdout.txt 2>stderr.txt
  rc=$?
  if [ "$rc" -ne 1 ]; then
    echo "FAIL: $what: exit code $rc, expected 1"; failures=$((failures + 1))
  elif ! grep -q -- "$pattern" stderr.txt; then
    echo "FAIL: $what: stderr lacks '$pattern':"; cat stderr.txt
    failures=$((failures + 1))
  elif [ -e out.npz ]; then
    echo "FAIL: $what: out.npz was written"; failures=$((failures + 1))
  else
    echo "ok: $what: $(cat stderr.txt)"
  fi
}

if "$tool" images.gz labels.gz out.npz && [ -s out.npz ]; then
  echo "ok: control conversion"
else
  echo "FAIL: control conversion of a well-formed IDX pair"
  failures=$((failures + 1))
fi
expect_error "missing file" "^error: missing.gz: cannot open: " \
  missing.gz labels.gz out.npz
expect_error "truncated gzip" "^error: truncated.gz: truncated gzip stream" \
  truncated.gz labels.gz out.npz
expect_error "swapped files" "^error: labels.gz: bad IDX magic number" \
  labels.gz images.gz out.npz
expect_error "bad count" "^error: qlc-fmnist-npz: --count needs" \
  images.gz labels.gz out.npz --count x
[ "$failures" -eq 0 ]
