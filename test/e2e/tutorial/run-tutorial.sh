#!/usr/bin/env bash
# Runs every ```sh block of docs/tutorial.md, in order, in one bash with
# -euo pipefail, from the repository root: the tutorial cannot drift from
# what qlc does. Skips (77) without the Fashion-MNIST package.
#
# usage: run-tutorial.sh REPO_ROOT BUILD_DIR OUT_DIR
set -euo pipefail
ROOT=$1 BUILD=$2 OUT=$3
if [[ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]]; then
  echo "skipped: dataset-fashion-mnist is not installed"
  exit 77
fi
rm -rf "$OUT"
mkdir -p "$OUT"
script="$OUT/tutorial.sh"
{
  echo "set -euo pipefail"
  echo "set -x"
  awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$ROOT/docs/tutorial.md"
} > "$script"
blocks=$(grep -c '^```sh$' "$ROOT/docs/tutorial.md")
echo "running $blocks shell blocks of docs/tutorial.md"
cd "$ROOT"
QLC_BUILD="$BUILD" QLC_TUTORIAL_OUT="$OUT" bash "$script"
echo "tutorial: all $blocks blocks ran"
