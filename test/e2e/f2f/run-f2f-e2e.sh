#!/usr/bin/env bash
# End-to-end float-to-fake on real models: converts Fashion-MNIST (Debian's
# dataset-fashion-mnist), runs the F2F pipeline (fold-bn into-bias, insert-pact,
# harmonise-adds, interpose, calibrate on 512 training images) on the two
# Fashion-MNIST CNNs at W8A8 and W4A8, and on MLPerf Tiny's wake-word DS-CNN,
# evaluates float and fake-quantised top-1 with qlc-run, prints a table and
# fails when a model misses its accuracy target:
#   W8A8 per-channel: at most 0.3 top-1 points below float;
#   W4A8 per-channel: at most 2 points below float.
# The wake-word DS-CNN has only 45 labelled samples, used for both
# calibration and evaluation: its row is reported, not checked.
#
# usage: run-f2f-e2e.sh QLC_OPT QLC_RUN FMNIST_NPZ FIXTURES WORKDIR
# exit 77 (skip) when the Fashion-MNIST data is not installed.
set -euo pipefail
QLC_OPT=$1 QLC_RUN=$2 FMNIST_NPZ=$3 FIXTURES=$4 WORK=$5
DATA=${QLC_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [[ ! -f $DATA/t10k-images-idx3-ubyte.gz ]]; then
  echo "skipped: $DATA has no Fashion-MNIST (apt-get install dataset-fashion-mnist)"
  exit 77
fi
mkdir -p "$WORK"
"$FMNIST_NPZ" "$DATA/t10k-images-idx3-ubyte.gz" \
  "$DATA/t10k-labels-idx1-ubyte.gz" "$WORK/test.npz"
"$FMNIST_NPZ" "$DATA/train-images-idx3-ubyte.gz" \
  "$DATA/train-labels-idx1-ubyte.gz" "$WORK/calib.npz" --count 512

top1() { # model data -> accuracy in %
  "$QLC_RUN" "$1" --eval "$2" --batch 100 2>/dev/null |
    sed -n 's/.*top-1 accuracy \([0-9.]*\)%.*/\1/p'
}
pipeline() { # wbits abits method
  echo "infer-shapes,fold-bn{mode=into-bias},canonicalize-flatten,insert-pact{wbits=$1 abits=$2 weight-rounding=half_even},harmonise-adds,interpose,calibrate{method=$3 progress=none},dce"
}

failed=0
printf '%-22s %-6s %-10s %8s %8s %8s %8s\n' model config method float fake delta target
row() { # name float fake config method limit(or -)
  local delta
  delta=$(awk -v f="$2" -v q="$3" 'BEGIN { printf "%.2f", q - f }')
  local verdict="report"
  if [[ $6 != - ]]; then
    if awk -v d="$delta" -v l="$6" 'BEGIN { exit !(d >= -l) }'; then
      verdict="ok (>= -$6)"
    else
      verdict="MISSED (>= -$6)"
      failed=1
    fi
  fi
  printf '%-22s %-6s %-10s %8s %8s %8s %s\n' "$1" "$4" "$5" "$2" "$3" "$delta" "$verdict"
}

for name in fmnist_plain_bn fmnist_residual_bn; do
  model=$FIXTURES/fashion_mnist/$name.onnx
  float=$(top1 "$model" "$WORK/test.npz")
  for cfg in "W8A8 8 8 minmax 0.3" "W4A8 4 8 mse 2"; do
    read -r label wb ab method limit <<<"$cfg"
    out=$WORK/$name-$label.onnx
    "$QLC_OPT" "$model" --pass-pipeline="$(pipeline "$wb" "$ab" "$method")" \
      --calib-data="$WORK/calib.npz" --calib-samples=512 \
      --report="$WORK/$name-$label.json" -o "$out"
    row "$name" "$float" "$(top1 "$out" "$WORK/test.npz")" "$label" "$method" "$limit"
  done
done

# Wake-word DS-CNN: 45 labelled samples (15 per class).
sww=$FIXTURES/mlperf_tiny/sww_dscnn_fp32_bn.onnx
swwData=$FIXTURES/mlperf_tiny/sww_calibration_nchw.npz
float=$(top1 "$sww" "$swwData")
for cfg in "W8A8 8 8 minmax" "W4A8 4 8 mse"; do
  read -r label wb ab method <<<"$cfg"
  out=$WORK/sww-$label.onnx
  "$QLC_OPT" "$sww" --pass-pipeline="$(pipeline "$wb" "$ab" "$method")" \
    --calib-data="$swwData" -o "$out"
  row sww_dscnn "$float" "$(top1 "$out" "$swwData")" "$label" "$method" -
done
exit $failed
