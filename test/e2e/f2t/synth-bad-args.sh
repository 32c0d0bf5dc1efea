#!/bin/sh
# Part of qlc. SPDX-License-Identifier: Apache-2.0
#
# synth-bad-args.sh TOOL WORKDIR - ctest synth-images-bad-args:
# qlc-synth-images must exit 1 with "error: ..." and write no output for
# bad arguments and an unwritable output path. A well-formed call is run
# first, as a control, and run twice to check the bytes are reproducible.
set -u
tool=$1
work=$2
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1
failures=0

if "$tool" a.npz --count 3 --shape 3,8,8 --scale 1/255 --seed 5 &&
  "$tool" b.npz --count=3 --shape=3,8,8 --scale=1/255 --seed=5 &&
  cmp -s a.npz b.npz; then
  echo "ok: control: two identical calls give identical files"
else
  echo "FAIL: control: well-formed calls failed or differ"
  failures=$((failures + 1))
fi

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
    echo "ok: $what: $(head -n 1 stderr.txt)"
  fi
}

expect_error "no arguments" "^error: qlc-synth-images: expected OUT.npz"
expect_error "missing shape" "expected OUT.npz, --count and --shape" \
  out.npz --count 2
expect_error "zero count" "^error: qlc-synth-images: --count needs" \
  out.npz --count 0 --shape 3,4,4
expect_error "two-dim shape" "^error: qlc-synth-images: --shape needs" \
  out.npz --count 2 --shape 3,4
expect_error "zero denominator" "^error: qlc-synth-images: --scale needs" \
  out.npz --count 2 --shape 3,4,4 --scale 1/0
expect_error "negative seed" "^error: qlc-synth-images: --seed needs" \
  out.npz --count 2 --shape 3,4,4 --seed -1
expect_error "value missing" "^error: qlc-synth-images: --seed needs a value" \
  out.npz --count 2 --shape 3,4,4 --seed
expect_error "too large" "exceed the limit" \
  out.npz --count 100000 --shape 3,100,100
expect_error "unknown option" "unknown option '--labels'" \
  out.npz --count 2 --shape 3,4,4 --labels
expect_error "unwritable output" "^error: missing/out.npz: " \
  missing/out.npz --count 2 --shape 3,4,4
[ "$failures" -eq 0 ]
