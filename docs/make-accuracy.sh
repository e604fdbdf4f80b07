#!/usr/bin/env bash
# Regenerate docs/accuracy.md: accuracy against time steps for every conversion method on the
# seven models of the shared fixtures (10,000 Fashion-MNIST test images), written by `snnc eval
# --markdown`, plus the integer (C target, 8-bit per-channel weights) network, the max-pool
# treatments, and the low-latency methods on the QCFS fine-tunes (fmnist-qcfs-resnet, -dwsep).
# Needs `npm run build` first. About four and a half hours on two cores (the TPP loops alone more than two;
# fmnist-vgg-maxpool's TPP table took 74 minutes on 2026-11-30, at nice 10 beside other work).
set -euo pipefail
cd "$(dirname "$0")/.."
snnc="node dist/src/cli/main.js"
data=(--calib examples/data/fmnist-calib-images.npy --data examples/data/fmnist-test-images.npy --labels examples/data/fmnist-test-labels.npy --input-scale 1/255)
methods=max-zero,max-subtract,p99.9-subtract,p99.9-subtract-half,chp99.9-subtract-half,max-subtract-shift
out=docs/accuracy
mkdir -p "$out"
for m in mlp cnn-bn cnn-fused qcfs dwsep resnet vgg-maxpool; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 1,2,4,8,16,32,64 --methods "$methods" \
    --title "fmnist-$m" --markdown "$out/fmnist-$m.md" --json > "$out/fmnist-$m.json"
done
# the integer network of the default method (C target, 8-bit weights, one scale per output channel)
for m in cnn-bn resnet; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 8,16,32,64 --target c --weight-bits 8 --granularity channel \
    --title "fmnist-$m, integer (C target, int8 per channel)" --markdown "$out/fmnist-$m-int8.md" --json > "$out/fmnist-$m-int8.json"
done
# spiking max pool: gate (default), logical OR, average
for mp in gate or avg; do
  $snnc eval examples/models/fmnist-vgg-maxpool.onnx "${data[@]}" -T 8,16,32,64 --maxpool $mp \
    --title "fmnist-vgg-maxpool, maxpool=$mp" --markdown "$out/vgg-maxpool-$mp.md" --json > "$out/vgg-maxpool-$mp.json"
done
# the low-latency methods (docs/methods.md), float and integer (C target), at T = 4 and 8
for m in mlp cnn-bn qcfs dwsep resnet cnn-fused vgg-maxpool; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4,8 --methods chp99.9-subtract-half,chp99.9-subtract-half+ftbc,chmmse-subtract-shift+calib-advanced,chmmse-subtract-shift+calib-advanced+ftbc --target c \
    --title "fmnist-$m, low-latency methods (float and integer)" --markdown "$out/low-latency-$m.md" --json > "$out/low-latency-$m.json"
done
# FTBC's two update rules (docs/methods.md) on the paper's SNN Calibration base (MMSE θ, θ/2T shift), float and integer (C target), at T = 1, 2, 4 and 8
for m in mlp cnn-bn qcfs dwsep resnet cnn-fused vgg-maxpool; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 1,2,4,8 --methods chmmse-subtract-shift,chmmse-subtract-shift+ftbc,chmmse-subtract-shift+ftbc-step --target c \
    --title "fmnist-$m, FTBC's update rules on the MMSE base (float and integer)" --markdown "$out/ftbc-rules-$m.md" --json > "$out/ftbc-rules-$m.json"
done
# TPP neurons (docs/methods.md) against their bases, float and integer (C target), at T = 2, 4 and 8
for m in mlp cnn-bn qcfs dwsep resnet cnn-fused vgg-maxpool; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 2,4,8 --methods chp99.9-subtract-half,chp99.9-subtract-half+tpp,chp99.9-subtract-half+tpp-iid,chmmse-subtract-shift+calib-advanced,chmmse-subtract-shift+calib-advanced+tpp --target c \
    --title "fmnist-$m, TPP neurons (float and integer)" --markdown "$out/tpp-$m.md" --json > "$out/tpp-$m.json"
done
# SNN Calibration of the TPP network (docs/methods.md), float and integer (C target), at T = 4 and 8
for m in resnet dwsep cnn-bn qcfs mlp vgg-maxpool; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4,8 --methods chmmse-subtract-shift+tpp+calib-advanced --target c \
    --title "fmnist-$m, SNN Calibration of the TPP network (float and integer)" --markdown "$out/calibrated-tpp-$m.md" --json > "$out/calibrated-tpp-$m.json"
done
# the deterministic layer-major network with weight calibration (docs/methods.md), float and integer (C target), at T = 4 and 8
for m in resnet dwsep cnn-bn mlp qcfs vgg-maxpool; do
  base=chmmse-subtract-shift; [ "$m" = qcfs ] && base=qcfs
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4,8 --methods $base+tpp-round+calib-weights --target c \
    --title "fmnist-$m, TPP round with weight calibration (float and integer)" --markdown "$out/round-wc-$m.md" --json > "$out/round-wc-$m.json"
done
# the low-latency methods on the networks fine-tuned with QCFS (examples/models/make-qcfs-models.py), float and integer (C target), at T = 1, 2, 4 and 8
for m in qcfs-resnet qcfs-dwsep; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 1,2,4,8 --methods qcfs,qcfs+ftbc,qcfs+tpp,qcfs+tpp-round,qcfs+tpp-round+calib-weights --target c \
    --title "fmnist-$m, the low-latency methods on the QCFS-fine-tuned network (float and integer)" --markdown "$out/qcfs-finetuned-$m.md" --json > "$out/qcfs-finetuned-$m.json"
done
# the QCFS networks (L = 8) at T = 4 < L with the ReLUs' MMSE rule instead of λ
for m in qcfs qcfs-resnet qcfs-dwsep; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4 --methods chmmse-subtract-shift+tpp-round,chmmse-subtract-shift+tpp-round+calib-weights --qcfs-threshold rule --target c \
    --title "fmnist-$m at T = 4 with --qcfs-threshold rule (float and integer)" --markdown "$out/qcfs-rule-$m.md" --json > "$out/qcfs-rule-$m.json"
done
# K neurons per activation (docs/methods.md): the ReLU networks that miss the goal at T = 4 with one, float and integer (C target)
for m in dwsep resnet; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4,8 --methods chmmse-subtract-shift+tpp-round+calib-weights+rep2 --target c \
    --title "fmnist-$m, two neurons per activation (float and integer)" --markdown "$out/replicas-$m.md" --json > "$out/replicas-$m.json"
done
# dwsep with three and four
$snnc eval examples/models/fmnist-dwsep.onnx "${data[@]}" -T 4,8 --methods chmmse-subtract-shift+tpp-round+calib-weights+rep3,chmmse-subtract-shift+tpp-round+calib-weights+rep4 --target c \
  --title "fmnist-dwsep, three and four neurons per activation (float and integer)" --markdown "$out/replicas-dwsep-k34.md" --json > "$out/replicas-dwsep-k34.json"
# ... and the QCFS networks (L = 8) at T = 4 = L/2: two neurons per activation give their eight levels
for m in qcfs-resnet qcfs-dwsep; do
  $snnc eval examples/models/fmnist-$m.onnx "${data[@]}" -T 4 --methods qcfs+tpp-round+rep2 --target c \
    --title "fmnist-$m at T = L/2 with two neurons per activation (float and integer)" --markdown "$out/replicas-$m.md" --json > "$out/replicas-$m.json"
done
{
  echo "# Accuracy against time steps"
  echo
  echo "Generated by \`docs/make-accuracy.sh\` (\`snnc eval --markdown\`) on the 10,000 Fashion-MNIST test images;"
  echo "thresholds from the 1,024 calibration images. Methods: see \`src/methods.ts\`; the baseline is max-zero"
  echo "(max-norm thresholds, reset to zero, v(0) = 0). Default: chp99.9-subtract-half."
  echo
  for f in "$out"/fmnist-*.md "$out"/vgg-maxpool-*.md "$out"/low-latency-*.md "$out"/ftbc-rules-*.md "$out"/tpp-*.md "$out"/calibrated-tpp-*.md "$out"/round-wc-*.md "$out"/qcfs-finetuned-*.md "$out"/qcfs-rule-*.md "$out"/replicas-*.md; do cat "$f"; echo; done
} > docs/accuracy.md
node docs/check-accuracy.mjs
