#!/usr/bin/env bash
# Builds the integer program of a float model for the ONNX Runtime
# cross-check: synthetic calibration images (qlc-synth-images), the F2F
# pipeline of test/e2e/f2f (W8A8, minmax), fake-to-true, and
# lower-integer-ops. Calibration on synthetic data is enough here: the check
# is that qlc-run and ONNX Runtime compute the same integers, not accuracy.
#
# usage: make-f2t-program.sh QLC_OPT SYNTH MODEL SHAPE SCALE OUT_PREFIX
#   writes OUT_PREFIX-true.onnx (qlc ops) and OUT_PREFIX-lowered.onnx.
set -euo pipefail
QLC_OPT=$1 SYNTH=$2 MODEL=$3 SHAPE=$4 SCALE=$5 OUT=$6
mkdir -p "$(dirname "$OUT")"
"$SYNTH" "$OUT-calib.npz" --count 32 --shape "$SHAPE" --scale "$SCALE" --seed 7
"$QLC_OPT" "$MODEL" --calib-data="$OUT-calib.npz" -o "$OUT-fq.onnx" \
  --pass-pipeline="infer-shapes,fold-bn{mode=into-bias},canonicalize-flatten,insert-pact{wbits=8 abits=8 weight-rounding=half_even},harmonise-adds,interpose,calibrate{method=minmax progress=none},dce"
"$QLC_OPT" "$OUT-fq.onnx" --fake-to-true -o "$OUT-true.onnx"
"$QLC_OPT" "$OUT-true.onnx" --lower-integer-ops -o "$OUT-lowered.onnx"
