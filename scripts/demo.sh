#!/usr/bin/env bash
# Installs what is missing, builds qlc, and runs the main flows on example
# models shipped in the repo, writing the results to ./out: canonicalisation
# of MLPerf Tiny ResNet-8 (BatchNorm kept), then docs/tutorial.md: a
# Fashion-MNIST MobileNetV1 from float to a DORY bundle with verified
# goldens, and the same for the MLPerf Tiny VWW MobileNetV1.
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

TUTORIAL_OUT="$OUT/tutorial"
if [[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]]; then
  step "The main flow (docs/tutorial.md): a Fashion-MNIST MobileNetV1 from float ONNX through fake-quantisation, the integer program, the head rewrite (built in, JSON pattern, plugin) to the DORY export and its golden check; then the MLPerf Tiny VWW MobileNetV1"
  echo "(every command is echoed with a leading +; outputs go to $TUTORIAL_OUT)"
  bash "$ROOT/test/e2e/tutorial/run-tutorial.sh" "$ROOT" "$BUILD" "$TUTORIAL_OUT"
  step "The DORY bundle of the Fashion-MNIST MobileNetV1"
  ls -la "$TUTORIAL_OUT/dory"
  cat "$TUTORIAL_OUT/dory/config_mnv1.json"
  head -4 "$TUTORIAL_OUT/dory/out_layer0.txt"
else
  echo "dataset-fashion-mnist is missing: skipping the MobileNetV1 flow"
fi

printf '\nResults are in %s\n' "$OUT"
ls -la "$OUT"
