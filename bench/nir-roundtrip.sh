#!/bin/bash
# Every fixture model NIR can express, two ways: compiled from ONNX, and exported to NIR then
# compiled from the .nir. Prints whether the integer networks are byte-identical, the accuracy of
# each path on the full test set (interpreter for ONNX, C for NIR) and a C-vs-interpreter verify.
#   npm run build && bash bench/nir-roundtrip.sh [T]        (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-8}
S="node dist/src/cli/main.js"
D="--data examples/data/fmnist-test-images.npy --labels examples/data/fmnist-test-labels.npy --input-scale 1/255"
out=$(mktemp -d)
acc() { python3 -c "import json,sys; print(json.load(sys.stdin)['accuracy'])"; }
for m in mlp cnn-bn cnn-fused dwsep resnet vgg-maxpool; do
  $S compile examples/models/fmnist-$m.onnx --calib examples/data/fmnist-calib-images.npy --input-scale 1/255 -T "$T" --init 0 --maxpool avg -o "$out/$m-onnx" > /dev/null 2>&1
  $S export-nir "$out/$m-onnx/model.float.snnir" -T "$T" -o "$out/$m.nir" > /dev/null
  $S compile "$out/$m.nir" -T "$T" --input-step 1/255 -o "$out/$m-nir" > /dev/null 2>&1
  same=$(cmp -s "$out/$m-onnx/model.snnir.bin" "$out/$m-nir/model.snnir.bin" && diff <(grep -v '^graph' "$out/$m-onnx/model.snnir") <(grep -v '^graph' "$out/$m-nir/model.snnir") > /dev/null && echo identical || echo DIFFERENT)
  a1=$($S simulate "$out/$m-onnx" --executor interp $D --json 2> /dev/null | acc)
  a2=$($S simulate "$out/$m-nir" --executor c $D --json 2> /dev/null | acc)
  v=$($S verify "$out/$m-nir" $D -n 200 2>&1 | head -1)
  echo "$m | integer network $same | ONNX path (interpreter) $a1 | NIR path (C) $a2 | $v"
done
echo "fmnist-qcfs: not exported (QCFS neurons start at θ/2; NIR has no initial membrane)"
