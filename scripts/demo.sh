#!/usr/bin/env bash
# Installs what is missing, builds qlc, and runs the main flows on example
# models shipped in the repo, writing the results to ./out: canonicalisation
# of MLPerf Tiny ResNet-8 (BatchNorm kept), then float-to-fake quantisation,
# calibration, evaluation and QDQ export of a Fashion-MNIST CNN.
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

# Float to fake-quantised on a Fashion-MNIST CNN (Debian dataset-fashion-mnist).
FMNIST=/usr/share/datasets/fashion-mnist
FMNIST_NPZ="$BUILD/test/e2e/fashion_mnist/qlc-fmnist-npz"
CNN="$ROOT/test/fixtures/fashion_mnist/fmnist_plain_bn.onnx"
if [[ -f $FMNIST/t10k-images-idx3-ubyte.gz && -x $FMNIST_NPZ ]]; then
  step "Fashion-MNIST as .npz: 512 training images to calibrate, 2000 test images"
  "$FMNIST_NPZ" "$FMNIST/train-images-idx3-ubyte.gz" \
    "$FMNIST/train-labels-idx1-ubyte.gz" "$OUT/fmnist_calib.npz" --count 512
  "$FMNIST_NPZ" "$FMNIST/t10k-images-idx3-ubyte.gz" \
    "$FMNIST/t10k-labels-idx1-ubyte.gz" "$OUT/fmnist_test.npz" --count 2000

  step "Float to fake-quantised (W8A8, per-channel weights) and calibration"
  "$QLC_OPT" "$CNN" \
    --pass-pipeline='infer-shapes,fold-bn{mode=into-bias},canonicalize-flatten,insert-pact{wbits=8 abits=8 weight-rounding=half_even},harmonise-adds,interpose,calibrate{method=minmax},dce' \
    --calib-data="$OUT/fmnist_calib.npz" --report="$OUT/fmnist_w8a8_report.json" \
    --pass-statistics -o "$OUT/fmnist_w8a8.onnx"

  step "Top-1 of the float and the fake-quantised model"
  "$QLC_RUN" "$CNN" --eval "$OUT/fmnist_test.npz"
  "$QLC_RUN" "$OUT/fmnist_w8a8.onnx" --eval "$OUT/fmnist_test.npz"

  step "The same fake-quantised model as standard QDQ ONNX"
  "$QLC_OPT" "$OUT/fmnist_w8a8.onnx" --export-qdq='floor-compensation=true' \
    --pass-statistics -o "$OUT/fmnist_w8a8_qdq.onnx"
  "$QLC_RUN" "$OUT/fmnist_w8a8.onnx" --compare "$OUT/fmnist_w8a8_qdq.onnx" \
    --random-inputs --seed 1

  step "Fake-quantised to an integer program, verified tensor by tensor"
  "$QLC_OPT" "$OUT/fmnist_w8a8.onnx" --fake-to-true \
    --verify-fake-vs-true="$OUT/fmnist_test.npz" --verify-samples=500 \
    --report="$OUT/fmnist_int_report.json" -o "$OUT/fmnist_int.onnx"
  "$QLC_RUN" "$OUT/fmnist_int.onnx" --eval "$OUT/fmnist_test.npz" \
    --compare "$OUT/fmnist_w8a8.onnx"

  step "The integer program as standard ONNX (what ONNX Runtime runs)"
  "$QLC_OPT" "$OUT/fmnist_int.onnx" --lower-integer-ops --pass-statistics \
    -o "$OUT/fmnist_int_ort.onnx"
  "$QLC_RUN" "$OUT/fmnist_int.onnx" --compare "$OUT/fmnist_int_ort.onnx" \
    --random-inputs --seed 1
fi

printf '\nResults are in %s\n' "$OUT"
ls -la "$OUT"
