#!/usr/bin/python3
"""ImageNet-size models for bench/scale.ts: torchvision's ResNet-18, MobileNetV2 (ReLU6) and
VGG-11 with seeded random weights, exported to ONNX the ordinary way (opset 13, batch axis named).
Uses Debian's python3-torch and python3-torchvision; exits 3 when torchvision is missing.

    bench/torchvision_models.py OUT_DIR [name ...]
"""
import os
import sys

try:
    import torch
    import torchvision
except ImportError as e:  # the bench skips, saying so
    print(f"torchvision unavailable: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or ["resnet18", "mobilenet_v2", "vgg11"]
    os.makedirs(out, exist_ok=True)
    for name in names:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None).eval()
        path = os.path.join(out, f"{name}.onnx")
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
        print(path)


if __name__ == "__main__":
    main()
