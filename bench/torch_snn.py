#!/usr/bin/python3
"""PyTorch baseline of snnc's float SNN simulation (bench/snn-throughput.ts drives it).

Reads a spiking graph exported by the TS bench (graph.json + .npy weights), runs the same
simulation -- IF neurons with per-channel thresholds, spikes carrying θ, soft or hard reset,
v(0) = vinit·θ, analog input, mean readout -- in the multi-step, layer-by-layer style
(SpikingJelly's multi-step mode): every projection runs once on all T·B spike maps, every
neuron population loops over t. The static prefix (ops on the analog input) runs once.
Prints one JSON line: throughput and predictions.
Uses Debian's python3-torch on the CPU with the thread count given.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def main():
    spec_dir, images_path, n, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    batch = int(sys.argv[6]) if len(sys.argv) > 6 else 128
    torch.set_num_threads(threads)
    spec = json.load(open(f"{spec_dir}/graph.json"))
    consts = {k: torch.from_numpy(np.load(f"{spec_dir}/{v}").astype(np.float32)) for k, v in spec["consts"].items()}
    raw = np.load(images_path)[:n].astype(np.float32) * spec["input_scale"]
    images = torch.from_numpy(raw)
    T = steps

    def run(x0):
        B = x0.shape[0]
        vals = {}
        static = set()
        for node in spec["nodes"]:
            op, a, ins = node["op"], node["attrs"], node["inputs"]
            args = [vals[i] for i in ins if i in vals]
            is_static = op == "input" or (op not in ("if", "readout", "spikemaxpool") and all(i in static for i in ins if i in vals))

            def flat(t):  # [T,B,...] -> [T*B,...] (static tensors are [B,...])
                return t if is_static else t.reshape(T * B, *t.shape[2:])

            def unflat(t):
                return t if is_static else t.reshape(T, B, *t.shape[1:])

            if op == "input":
                out = x0
            elif op == "conv2d":
                w = consts[node["consts"][0]]
                b = consts[node["consts"][1]] if len(node["consts"]) > 1 else None
                p = a["pads"]
                x = flat(args[0])
                if p[0] != p[2] or p[1] != p[3]:
                    x = F.pad(x, (p[1], p[3], p[0], p[2]))
                    pad = 0
                else:
                    pad = (p[0], p[1])
                out = unflat(F.conv2d(x, w, b, stride=a["strides"], padding=pad, dilation=a["dilations"], groups=a["group"]))
            elif op == "dense":
                w = consts[node["consts"][0]]
                b = consts[node["consts"][1]] if len(node["consts"]) > 1 else None
                out = unflat(F.linear(flat(args[0]), w, b))
            elif op == "avgpool2d":
                p = a["pads"]
                out = unflat(F.avg_pool2d(flat(args[0]), a["kernel"], a["strides"], padding=(p[0], p[1]), ceil_mode=a["ceilMode"], count_include_pad=a["countIncludePad"]))
            elif op == "maxpool2d":
                p = a["pads"]
                out = unflat(F.max_pool2d(flat(args[0]), a["kernel"], a["strides"], padding=(p[0], p[1]), dilation=a["dilations"], ceil_mode=a["ceilMode"]))
            elif op == "globalavgpool":
                out = unflat(F.adaptive_avg_pool2d(flat(args[0]), 1))
            elif op in ("flatten", "reshape"):
                x = args[0]
                out = x.reshape(x.shape[0], -1) if is_static else x.reshape(T, B, -1)
            elif op == "concat":
                out = torch.cat(args, dim=1 if is_static else 2)
            elif op == "add":
                x, y = args
                if x.dim() != y.dim():  # static + dynamic
                    x, y = (x.unsqueeze(0), y) if x.dim() < y.dim() else (x, y.unsqueeze(0))
                out = x + y
                is_static = is_static and x.dim() == y.dim()
            elif op == "if":
                x = args[0]
                C = x.shape[-3] if x.dim() - (0 if ins[0] in static else 1) == 4 else x.shape[-1]
                theta = consts[node["theta"]] if node.get("theta") else torch.full((C,), float(a["threshold"]))
                shape = (C, 1, 1) if x.dim() - (0 if ins[0] in static else 1) == 4 else (C,)
                th = theta.reshape(shape)
                sample = x if ins[0] in static else x[0]
                v = torch.zeros_like(sample) + float(a.get("vinit", 0.0)) * th
                add = float(a.get("shift", 0.0)) * th
                outs = torch.empty((T,) + tuple(sample.shape))
                subtract = a["reset"] == "subtract"
                for t in range(T):
                    xt = x if ins[0] in static else x[t]
                    v = v + xt + add
                    s = (v >= th).to(v.dtype)
                    st = s * th
                    outs[t] = st
                    v = v - st if subtract else v * (1 - s)
                out = outs
            elif op == "spikemaxpool":
                # gated max pool: per window, the input with the most spikes so far (ties: first) passes its spike
                x = args[0]
                k, st, p = a["kernel"], a["strides"], a["pads"]
                counts = torch.zeros_like(x[0])
                outs = []
                for t in range(T):
                    counts = counts + (x[t] > 0).to(x.dtype)
                    # argmax of counts per window with first-index ties: add a tiny decreasing index bias
                    B_, C_, H_, W_ = counts.shape
                    order = torch.arange(H_ * W_, dtype=x.dtype).reshape(1, 1, H_, W_)
                    score = counts * (H_ * W_ + 1) - order
                    _, idx = F.max_pool2d(score, k, st, padding=(p[0], p[1]), return_indices=True)
                    outs.append(x[t].flatten(2).gather(2, idx.flatten(2)).reshape(idx.shape))
                out = torch.stack(outs)
            elif op == "readout":
                x = args[0]
                out = torch.cumsum(x, 0) if ins[0] not in static else x.unsqueeze(0).expand(T, *x.shape) * torch.arange(1, T + 1).reshape(T, *([1] * x.dim()))
            else:
                raise SystemExit(f"torch baseline: op {op} not implemented")
            vals[node["id"]] = out
            if is_static:
                static.add(node["id"])
        return vals[spec["outputs"][0]]

    preds = []
    with torch.no_grad():
        run(images[:min(batch, n)])  # warm-up
        t0 = time.perf_counter()
        for s in range(0, n, batch):
            sums = run(images[s:s + batch])
            preds.append(sums[T - 1].argmax(-1))
        dt = time.perf_counter() - t0
    preds = torch.cat(preds).tolist()
    print(json.dumps({"images": n, "steps": T, "seconds": dt, "imageStepsPerSecond": n * T / dt, "threads": threads, "batch": batch, "predictions": preds}))


if __name__ == "__main__":
    main()
