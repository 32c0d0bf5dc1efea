#!/usr/bin/env bash
# The DORY flow on the MLPerf Tiny networks: F2F (calibrated on synthetic
# images), fake-to-true, fold-float-head, check-backend{target=dory},
# export-dory with goldens, then import-dory + qlc-run --dory-golden: every
# golden layer must match qlc's execution of the exported arithmetic.
#
# usage: run-dory-e2e.sh QLC_OPT QLC_RUN SYNTH FIXTURES WORK
set -euo pipefail
QLC_OPT=$1 QLC_RUN=$2 SYNTH=$3 FIXTURES=$4 WORK=$5
rm -rf "$WORK"
mkdir -p "$WORK"
F2F='infer-shapes,fold-bn{mode=into-bias},canonicalize-flatten,insert-pact{wbits=8 abits=8 weight-rounding=half_even exclude=HEAD},harmonise-adds{out-quantiser=unless-requantised},interpose,calibrate{method=minmax progress=none},dce'

# name | model | input shape | pixel scale | head Gemm | fake-to-true options
while IFS='|' read -r name model shape scale head f2t; do
  [[ -z $name || $name == \#* ]] && continue
  echo "== $name"
  w="$WORK/$name"
  "$SYNTH" "$w-calib.npz" --count 16 --shape "$shape" --scale "$scale" --seed 3
  "$QLC_OPT" "$FIXTURES/mlperf_tiny/$model" --calib-data="$w-calib.npz" \
    --pass-pipeline="${F2F/HEAD/$head}" -o "$w-fq.onnx"
  "$QLC_OPT" "$w-fq.onnx" --fake-to-true${f2t:+=$f2t} --fold-float-head \
    --verify-fake-vs-true="$w-calib.npz" -o "$w-int.onnx"
  "$QLC_OPT" "$w-int.onnx" --check-backend=target=dory -o /dev/null
  "$QLC_OPT" "$w-int.onnx" \
    --export-dory="dir=$w-dory name=$name input=$w-calib.npz sample=1" \
    --report="$w-export.json" -o "$w-dory.onnx"
  cmp "$w-dory.onnx" "$w-dory/$name.onnx"
  "$QLC_OPT" "$w-dory/$name.onnx" \
    --import-dory="config=$w-dory/config_$name.json" -o "$w-imported.onnx"
  "$QLC_RUN" "$w-imported.onnx" --dory-golden="$w-dory"
  # The host head on DORY's output gives the integer program's output.
  test -f "$w-dory/${name}_head.onnx"
done <<'NETS'
resnet8|resnet8_ic_fp32_bn.onnx|3,32,32|1|dense|accumulator=int32
vww|mobilenetv1_025_vww96_fp32_bn.onnx|3,96,96|1/255|dense|
dscnn|dscnn_kws_fp32.onnx|1,49,10|1|op11_fully_connected|
NETS
echo "dory e2e: all networks exported and their goldens reproduced"
