#!/usr/bin/python3
"""Fine-tune fmnist-resnet and fmnist-dwsep with QCFS activations: fmnist-qcfs-{resnet,dwsep}.onnx.

The usual way to a network that converts at low T (Bu et al., ICLR 2022, code
putshua/SNN_conversion_QCFS): take the trained ReLU network, replace every ReLU by the QCFS
activation with L quantisation levels and a trainable lambda, and train on:

    y = lambda * clamp(floor(x * L / lambda + 0.5) / L, 0, 1)        (L = 8 by default)

floor passing its gradient straight through. The network is read from the bundled ONNX file
(BN already fused into the convolutions by the exporter), so the weights start where
fmnist-resnet.onnx / fmnist-dwsep.onnx end; each lambda starts at the 99.9th percentile of its
ReLU's output on the first 1,024 training images. Then 3 epochs over the 60,000 Fashion-MNIST
training images scaled by 1/255, no augmentation, Adam with cosine decay (weights lr 1e-4,
lambdas 1e-3), batch 128, seed 0. The test set is only printed, never used to choose. Exported
with torch.onnx.export, opset 13, dynamic batch `N`, input `input`, output `logits`.

Options for a stronger fine-tune (docs/methods.md, "Networks fine-tuned with QCFS", measures them;
chosen beforehand, not tuned on the test set): `--per-channel` trains one lambda per channel
(exported as a [1, C, 1, 1] Div and Mul, which snnc reads as a per-channel threshold);
`--init mmse` starts each lambda where L-level rounding of the ReLU's outputs has the least
squared error (a grid of 96 fractions of their max) instead of at the 99.9th percentile;
`--distill` adds Hinton's distillation from the ReLU network (temperature 2, KL weighted by 4)
to the cross-entropy; `--epochs E`.

Needs Debian's python3-torch (1.13), python3-onnx and dataset-fashion-mnist:
    cd examples/models && /usr/bin/python3 make-qcfs-models.py [resnet|dwsep ...] [--levels L]
(about 10 minutes for resnet and 5 for dwsep on two cores). The bundled files were made so, with
L = 8. docs/methods.md reports these, not bundled:
    --levels 4 --out /tmp/fmnist-qcfs4-{name}.onnx
    --levels 4 --epochs 8 --init mmse --per-channel --distill --out /tmp/fmnist-qcfs4pc-{name}.onnx
    --levels 8 --epochs 8 --init mmse --per-channel --distill --out /tmp/fmnist-qcfs8pc-{name}.onnx
(each 30 to 55 minutes for resnet and 17 to 35 for dwsep on two cores shared with other work). Rerun with the defaults, the
script remade both bundled files byte for byte (2026-12-01).
"""
import argparse
import gzip

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = '/usr/share/datasets/fashion-mnist'
LEVELS = 8  # set from --levels


def idx(path, offset):
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def dataset(split):
    images = idx(f'{DATA}/{split}-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
    labels = idx(f'{DATA}/{split}-labels-idx1-ubyte.gz', 8)
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


class StraightFloor(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Qcfs(nn.Module):
    """QCFS with a trainable lambda (`up`: one value, or one per channel shaped [1, C, 1, 1] to
    broadcast); exports as Div, Mul, Add, Floor, Div, Clip, Mul."""

    def __init__(self, init):
        super().__init__()
        self.up = nn.Parameter(torch.as_tensor(init, dtype=torch.float32).clone())

    def forward(self, x):
        x = x / self.up
        x = x * float(LEVELS) + 0.5
        x = StraightFloor.apply(x) if self.training else torch.floor(x)
        x = torch.clamp(x / float(LEVELS), 0.0, 1.0)
        return x * self.up


class OnnxNet(nn.Module):
    """The ONNX graph's Conv/Gemm/Relu/Add/GlobalAveragePool/Flatten nodes run by torch, its
    initializers trainable; each Relu is `relu(x)` until `qcfs()` replaces them by QCFS."""

    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        self.nodes = list(model.graph.node)
        self.params = nn.ParameterDict({f'p{i}': nn.Parameter(torch.from_numpy(onnx.numpy_helper.to_array(t).copy()))
                                        for i, t in enumerate(model.graph.initializer)})
        self.names = {t.name: f'p{i}' for i, t in enumerate(model.graph.initializer)}
        self.acts = nn.ModuleDict()
        self.recorded = None

    def value(self, env, name):
        return self.params[self.names[name]] if name in self.names else env[name]

    def forward(self, x):
        env = {'input': x}
        for k, n in enumerate(self.nodes):
            a = dict((at.name, onnx.helper.get_attribute_value(at)) for at in n.attribute)
            i = [self.value(env, name) for name in n.input]
            if n.op_type == 'Conv':
                pads = a.get('pads', [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3], n.name
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get('strides', [1, 1]), pads[:2],
                             a.get('dilations', [1, 1]), a.get('group', 1))
            elif n.op_type == 'Gemm':
                assert a.get('transB', 0) == 1 and a.get('alpha', 1.0) == 1.0 and a.get('beta', 1.0) == 1.0, n.name
                y = F.linear(i[0], i[1], i[2])
            elif n.op_type == 'Relu':
                if f'a{k}' in self.acts:
                    y = self.acts[f'a{k}'](i[0])
                else:
                    y = F.relu(i[0])
                    if self.recorded is not None:
                        self.recorded.setdefault(k, []).append(y.detach())
            elif n.op_type == 'Add':
                y = i[0] + i[1]
            elif n.op_type == 'GlobalAveragePool':
                y = F.adaptive_avg_pool2d(i[0], 1)
            elif n.op_type == 'Flatten':
                y = torch.flatten(i[0], a.get('axis', 1))
            else:
                raise ValueError(f'{n.name}: op {n.op_type} not handled by this script')
            env[n.output[0]] = y
        return env[self.nodes[-1].output[0]]

    def qcfs(self, x, init, per_channel):
        """Replace every Relu by QCFS, its lambda from the ReLU's outputs on x (per channel or
        for the whole activation): their 99.9th percentile, or the lambda whose L-level rounding
        has the least mean squared error (`mmse`, searched on a grid of fractions of the max)."""
        self.recorded = {}
        with torch.no_grad():
            self(x)
        for k, values in self.recorded.items():
            if per_channel:
                v = torch.cat([t.transpose(0, 1).reshape(t.shape[1], -1) for t in values], 1)  # [C, samples * positions]
                lam = torch.tensor([threshold(c[::7], init) for c in v])
                self.acts[f'a{k}'] = Qcfs(lam.reshape([1, -1] + [1] * (values[0].dim() - 2)))  # broadcasts over N and positions
            else:
                self.acts[f'a{k}'] = Qcfs([threshold(torch.cat([t.flatten() for t in values])[::7], init)])
        self.recorded = None


def threshold(v, init):
    """lambda for the ReLU outputs v: never 0, which a channel that never fires would give and
    x / lambda could not take (the bundled files' whole-activation percentiles are far above it)."""
    if init == 'p99.9':
        return max(float(torch.quantile(v, 0.999)), 1e-6)
    top = max(float(v.max()), 1e-6)
    best, best_err = top, float('inf')
    for f in torch.linspace(0.05, 1.0, 96):
        lam = top * float(f)
        q = lam * torch.clamp(torch.floor(v * LEVELS / lam + 0.5) / LEVELS, 0.0, 1.0)
        err = float(((q - v) ** 2).mean())
        if err < best_err:
            best, best_err = lam, err
    return best


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000)) / len(x)


def summary(lambdas):
    return [round(float(p), 4) if p.numel() == 1 else f'{p.numel()} values, mean {float(p.mean()):.4f}' for p in lambdas]


def fine_tune(name, path, o):
    torch.manual_seed(0)
    (xs, ys), (xt, yt) = dataset('train'), dataset('t10k')
    model = OnnxNet(f'fmnist-{name}.onnx')
    teacher = OnnxNet(f'fmnist-{name}.onnx').eval() if o.distill else None
    print(f'{name}: ReLU network {100 * accuracy(model, xt, yt):.2f} %', flush=True)
    model.qcfs(xs[:1024], o.init, o.per_channel)
    lambdas = [m.up for m in model.acts.values()]
    print(f'{name}: QCFS before training {100 * accuracy(model, xt, yt):.2f} %, lambdas {summary(lambdas)}', flush=True)
    optimizer = torch.optim.Adam([{'params': list(model.params.values()), 'lr': 1e-4}, {'params': lambdas, 'lr': 1e-3}])
    steps = o.epochs * ((len(xs) + 127) // 128)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    for epoch in range(o.epochs):
        model.train()
        order = torch.randperm(len(xs))
        for i in range(0, len(xs), 128):
            batch = order[i:i + 128]
            optimizer.zero_grad()
            logits = model(xs[batch])
            loss = F.cross_entropy(logits, ys[batch])
            if teacher is not None:  # + Hinton's distillation from the ReLU network, temperature 2
                with torch.no_grad():
                    soft = F.softmax(teacher(xs[batch]) / 2.0, 1)
                loss = loss + 4.0 * F.kl_div(F.log_softmax(logits / 2.0, 1), soft, reduction='batchmean')
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f'{name} epoch {epoch + 1}: test accuracy {100 * accuracy(model, xt, yt):.2f} %,'
              f' lambdas {summary(lambdas)}', flush=True)
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    print(f'{path}: float test accuracy (PyTorch) {100 * accuracy(model, xt, yt):.2f} %', flush=True)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('models', nargs='*', default=['resnet', 'dwsep'])
    parser.add_argument('--levels', type=int, default=LEVELS)
    parser.add_argument('--out', default='fmnist-qcfs-{name}.onnx')
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--init', choices=['p99.9', 'mmse'], default='p99.9', help="lambda's start")
    parser.add_argument('--per-channel', action='store_true', help='one lambda per channel')
    parser.add_argument('--distill', action='store_true', help='add distillation from the ReLU network')
    args = parser.parse_args()
    LEVELS = args.levels
    torch.set_num_threads(2)
    for name in args.models:
        fine_tune(name, args.out.format(name=name), args)
