#!/usr/bin/env bash
# Installs what is missing, builds qlc, and runs the main flow on an example
# model shipped in the repo (MLPerf Tiny ResNet-8 with BatchNorm kept),
# writing the results to ./out.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${QLC_BUILD_DIR:-$ROOT/build}"
OUT="$ROOT/out"
MODEL="$ROOT/test/fixtures/mlperf_tiny/resnet8_ic_fp32_bn.onnx"

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" >/dev/null
QLC_OPT="$BUILD/tools/qlc-opt/qlc-opt"
QLC_RUN="$BUILD/tools/qlc-run/qlc-run"
mkdir -p "$OUT"

step() { printf '\n== %s\n' "$*"; }

step "Canonicalise $(basename "$MODEL"): fold constants, fold BatchNorm into the convolutions, remove dead code"
"$QLC_OPT" "$MODEL" \
  --pass-pipeline='remove-identity,infer-shapes,fixpoint(fold-constants,dce),fold-bn{mode=into-weights},canonicalize-flatten,dce,infer-shapes' \
  --time-passes --pass-statistics -o "$OUT/resnet8_folded.onnx"

step "The same model as readable text (ONNX textual syntax)"
"$QLC_OPT" "$OUT/resnet8_folded.onnx" -o "$OUT/resnet8_folded.onnxtxt"
echo "wrote $OUT/resnet8_folded.onnxtxt ($(wc -l <"$OUT/resnet8_folded.onnxtxt") lines)"

step "Node counts before and after"
count_ops() { grep -oE '= [A-Za-z.]+ ?[<(]' "$1" | sed -E 's/= ([A-Za-z.]+).*/\1/' | sort | uniq -c | sort -rn; }
"$QLC_OPT" "$MODEL" -o "$OUT/resnet8_original.onnxtxt"
echo "-- original:"; count_ops "$OUT/resnet8_original.onnxtxt"
echo "-- folded:";   count_ops "$OUT/resnet8_folded.onnxtxt"

step "Check that folding kept the numerics (qlc-run --compare on a random input)"
"$QLC_RUN" "$MODEL" --compare "$OUT/resnet8_folded.onnx" --random-inputs --seed 1

printf '\nResults are in %s\n' "$OUT"
ls -la "$OUT"
