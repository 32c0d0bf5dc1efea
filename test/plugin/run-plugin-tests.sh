#!/usr/bin/env bash
# Installs the qlc build, builds examples/plugin and the broken plugins in
# test/plugin/bad against the installation with find_package(qlc), and
# checks that the installed qlc-opt loads the example (its pass and its
# pattern rewrite exactly like the built-in fold-float-head) and rejects
# the broken ones with clear errors.
#
# usage: run-plugin-tests.sh REPO_ROOT BUILD_DIR WORK_DIR
set -euo pipefail
ROOT=$1 BUILD=$2 WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
PREFIX="$WORK/prefix"
cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log"
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)
for project in "$ROOT/examples/plugin" "$ROOT/test/plugin/bad"; do
  dir="$WORK/$(basename "$project")"
  cmake -S "$project" -B "$dir" "${gen[@]}" -DCMAKE_PREFIX_PATH="$PREFIX" \
    > "$dir.configure.log"
  cmake --build "$dir" > "$dir.build.log"
done
QLC_OPT="$PREFIX/bin/qlc-opt"
HEAD="$ROOT/test/lit/fold-float-head/Inputs/head.onnxtxt"
PLUGIN="$WORK/plugin/libFoldFloatHeadPlugin.so"

"$QLC_OPT" "$HEAD" --fold-float-head -o "$WORK/builtin.onnxtxt"
"$QLC_OPT" "$HEAD" --load-pass-plugin="$PLUGIN" --plugin-fold-float-head \
  -o "$WORK/plugin-pass.onnxtxt"
"$QLC_OPT" "$HEAD" --load-pass-plugin="$PLUGIN" \
  --pass-pipeline='apply-patterns{patterns=plugin-float-head}' \
  -o "$WORK/plugin-pattern.onnxtxt"
cmp "$WORK/builtin.onnxtxt" "$WORK/plugin-pass.onnxtxt"
cmp "$WORK/builtin.onnxtxt" "$WORK/plugin-pattern.onnxtxt"
"$QLC_OPT" --load-pass-plugin="$PLUGIN" --list-passes |
  grep -q -- '--plugin-fold-float-head'
echo "plugin: pass and pattern rewrite like the built-in fold-float-head"

expect_error() { # expect_error PATTERN ARGS...
  local pattern=$1; shift
  local out status=0
  out=$("$QLC_OPT" "$@" 2>&1) || status=$?
  if [[ $status -ne 1 ]] || ! grep -qF -- "$pattern" <<<"$out"; then
    echo "FAIL: qlc-opt $* exited $status with:"
    echo "$out"
    echo "expected exit 1 and: $pattern"
    exit 1
  fi
  echo "ok: $pattern"
}
BAD="$WORK/bad"
expect_error "missing.so: no such plugin file" \
  "$HEAD" --load-pass-plugin="$WORK/missing.so" -o "$WORK/x.onnx"
expect_error "libNoEntryPoint.so: not a qlc plugin (no qlcGetPluginInfo symbol)" \
  "$HEAD" --load-pass-plugin="$BAD/libNoEntryPoint.so"
expect_error "but this qlc-opt loads version" \
  "$HEAD" --load-pass-plugin="$BAD/libWrongVersion.so"
expect_error "cannot load the plugin" \
  "$HEAD" --load-pass-plugin="$BAD/libUnresolved.so"
expect_error "plugin 'clash'" \
  "$HEAD" --load-pass-plugin="$BAD/libClash.so"
expect_error "invalid ELF header" \
  "$HEAD" --load-pass-plugin="$ROOT/test/plugin/bad/NoEntryPoint.cpp"
test ! -e "$WORK/x.onnx"
echo "plugin: all checks passed"
