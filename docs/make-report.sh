#!/usr/bin/env bash
# The README's report and its screenshot (docs/report.png), from the bundled model and data:
# accuracy of three methods (eval), a compile for the generic core with energy and a raster,
# the HTML report, and a full-page screenshot in Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build > /dev/null
snnc() { node dist/src/cli/main.js "$@"; }
DATA=(--calib examples/data/fmnist-calib-images.npy --input-scale 1/255 --data examples/data/fmnist-test-images.npy --labels examples/data/fmnist-test-labels.npy --limit 1000)
mkdir -p out
snnc eval examples/models/fmnist-cnn-bn.onnx "${DATA[@]}" -T 1,2,4,8,16,32 --methods max-subtract,p99.9-subtract-half,chp99.9-subtract-half --json > out/eval.json
snnc compile examples/models/fmnist-cnn-bn.onnx "${DATA[@]}" -T 16 --target core:generic --maxpool avg -o out/cnn-core > /dev/null
snnc report out/cnn-core -o out/report.html --eval out/eval.json
node docs/screenshot.mjs out/report.html docs/report.png
