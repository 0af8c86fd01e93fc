#!/usr/bin/python3
"""PyTorch autograd reference for MemLens fine-tuning gradients (run with the Debian /usr/bin/python3).

The ONNX encoder's nodes are executed one by one as torch ops (no re-export, so the weights and the
graph are exactly the file's), a linear head and the mean softmax cross-entropy are added, and
autograd gives d loss / d parameter. The batch, labels and head are drawn from a seeded numpy
generator and written out with the gradients, so the caller feeds the very same values to the
onnxruntime training graph.

  torch-grad-reference.py --model M.onnx --params a,b,c --classes K --batch N --seed S --out F.json
    F.json: {"x": [...], "xShape": [...], "labels": [...], "headWeight": [...], "headBias": [...],
             "loss": L, "grads": {"a": [...], ..., "head.weight": [...], "head.bias": [...]}}
    float64 throughout: the reference is more precise than the float32 graph it checks.
"""
import argparse
import json

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pad_spatial(x, pads, value=0.0):
    """ONNX pads [b1, b2, ..., e1, e2, ...] as F.pad's (last axis first) pairs."""
    r = len(pads) // 2
    spec = []
    for i in reversed(range(r)):
        spec += [pads[i], pads[i + r]]
    return F.pad(x, spec, value=value) if any(spec) else x


def conv(i, a):
    x = pad_spatial(i[0], a.get('pads', [0] * 2 * (i[0].dim() - 2)))
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.dim()]
    return fn(x, i[1], i[2] if len(i) > 2 else None, a.get('strides', 1), 0, a.get('dilations', 1), a.get('group', 1))


def pool(i, a, kind):
    k = a['kernel_shape']
    pads = a.get('pads', [0] * 2 * len(k))
    if kind == 'max':
        x = pad_spatial(i[0], pads, value=float('-inf'))
        return F.max_pool2d(x, k, a.get('strides', k), 0, a.get('dilations', 1), bool(a.get('ceil_mode', 0)))
    x = pad_spatial(i[0], pads)
    if a.get('count_include_pad', 0) or not any(pads):
        return F.avg_pool2d(x, k, a.get('strides', k), 0, bool(a.get('ceil_mode', 0)))
    ones = pad_spatial(torch.ones_like(i[0][:1, :1]), pads)
    return F.avg_pool2d(x, k, a.get('strides', k)) / F.avg_pool2d(ones, k, a.get('strides', k))


def axes_of(i, a):
    return a['axes'] if 'axes' in a else (i[1].long().tolist() if len(i) > 1 else None)


def reduce(i, a, fn):
    axes = axes_of(i, a)
    keep = bool(a.get('keepdims', 1))
    return fn(i[0], dim=tuple(axes), keepdim=keep) if axes else fn(i[0])


def unsqueeze(x, axes):
    rank = x.dim() + len(axes)
    for ax in sorted(int(v) % rank for v in axes):
        x = x.unsqueeze(ax)
    return x


def gemm(i, a):
    x = i[0].t() if a.get('transA', 0) else i[0]
    w = i[1].t() if a.get('transB', 0) else i[1]
    y = a.get('alpha', 1.0) * (x @ w)
    return y + a.get('beta', 1.0) * i[2] if len(i) > 2 else y


def slice_(i):
    x = i[0]
    starts, ends = i[1].tolist(), i[2].tolist()
    axes = i[3].tolist() if len(i) > 3 else list(range(len(starts)))
    steps = i[4].tolist() if len(i) > 4 else [1] * len(starts)
    idx = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        idx[ax] = slice(int(s), int(min(e, 2**62)), int(st))
    return x[tuple(idx)]


OPS = {
    'Conv': conv,
    'Relu': lambda i, a: F.relu(i[0]),
    'LeakyRelu': lambda i, a: F.leaky_relu(i[0], a.get('alpha', 0.01)),
    'Sigmoid': lambda i, a: torch.sigmoid(i[0]),
    'Tanh': lambda i, a: torch.tanh(i[0]),
    'Erf': lambda i, a: torch.erf(i[0]),
    'Sqrt': lambda i, a: torch.sqrt(i[0]),
    'Pow': lambda i, a: i[0] ** i[1],
    'MaxPool': lambda i, a: pool(i, a, 'max'),
    'AveragePool': lambda i, a: pool(i, a, 'avg'),
    'GlobalAveragePool': lambda i, a: i[0].mean(tuple(range(2, i[0].dim())), keepdim=True),
    'ReduceMean': lambda i, a: reduce(i, a, torch.mean),
    'ReduceSum': lambda i, a: reduce(i, a, torch.sum),
    'Add': lambda i, a: i[0] + i[1],
    'Sub': lambda i, a: i[0] - i[1],
    'Mul': lambda i, a: i[0] * i[1],
    'Div': lambda i, a: torch.div(i[0], i[1], rounding_mode='trunc') if not i[0].is_floating_point() else i[0] / i[1],
    'Flatten': lambda i, a: i[0].reshape(int(np.prod(i[0].shape[:a.get('axis', 1)])), -1),
    'Reshape': lambda i, a: i[0].reshape([i[0].shape[k] if d == 0 else d for k, d in enumerate(i[1].long().tolist())]),
    'Transpose': lambda i, a: i[0].permute(a.get('perm', list(reversed(range(i[0].dim()))))),
    'Concat': lambda i, a: torch.cat(i, a['axis']),
    'Unsqueeze': lambda i, a: unsqueeze(i[0], axes_of(i, a)),
    'Expand': lambda i, a: i[0].expand(torch.broadcast_shapes(i[0].shape, tuple(i[1].tolist()))),
    'Equal': lambda i, a: i[0] == i[1],
    'Where': lambda i, a: torch.where(i[0].bool(), i[1], i[2]),
    'Slice': lambda i, a: slice_(i),
    'Gather': lambda i, a: torch.index_select(i[0], a.get('axis', 0), i[1].long().reshape(-1)).reshape(
        [*i[0].shape[:a.get('axis', 0)], *i[1].shape, *i[0].shape[a.get('axis', 0) + 1:]]),
    'Gemm': gemm,
    'MatMul': lambda i, a: i[0] @ i[1],
    'BatchNormalization': lambda i, a: F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get('epsilon', 1e-5)),
    'LayerNormalization': lambda i, a: F.layer_norm(i[0], i[1].shape, i[1], i[2] if len(i) > 2 else None, a.get('epsilon', 1e-5)),
    'Softmax': lambda i, a: torch.softmax(i[0], a.get('axis', -1)),
    'Shape': lambda i, a: torch.tensor(i[0].shape, dtype=torch.int64),
    'Identity': lambda i, a: i[0],
    'Constant': lambda i, a: torch.from_numpy(numpy_helper.to_array(a['value']).copy()),
}


class TorchGraph:
    """The model's main graph as torch ops; `params` are leaf tensors the caller may differentiate."""

    def __init__(self, path, dtype=torch.float64):
        self.model = onnx.load(path)
        g = self.model.graph
        self.consts = {}
        for t in g.initializer:
            arr = numpy_helper.to_array(t)
            tensor = torch.from_numpy(arr.copy())
            self.consts[t.name] = tensor.to(dtype) if arr.dtype.kind == 'f' else tensor
        self.input = next(i.name for i in g.input if i.name not in self.consts)
        self.dtype = dtype
        self.output = g.output[0].name

    def run(self, x, params=None):
        env = {**self.consts, **(params or {}), self.input: x}
        for node in self.model.graph.node:
            fn = OPS.get(node.op_type) or getattr(self, node.op_type, None)
            if fn is None:
                raise SystemExit(f'torch-grad-reference.py: op {node.op_type} (node {node.name}) is not interpreted')
            env[node.output[0]] = fn([env[n] for n in node.input if n], attrs(node))
        return env[self.output]

    # Ops whose result type depends on the graph's float type (float64 for the reference).
    def Cast(self, i, a):
        return i[0].to({1: self.dtype, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}[a['to']])

    def ConstantOfShape(self, i, a):
        v = torch.from_numpy(numpy_helper.to_array(a['value']).copy()) if 'value' in a else torch.zeros(1, dtype=self.dtype)
        return torch.full(i[0].tolist(), v.item(), dtype=self.dtype if v.is_floating_point() else v.dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--params', required=True, help='comma-separated initializer names to differentiate')
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    net = TorchGraph(a.model)
    rng = np.random.RandomState(a.seed)
    shape = [a.batch] + [d.dim_value for d in next(i for i in net.model.graph.input if i.name == net.input).type.tensor_type.shape.dim[1:]]
    x = rng.randn(*shape)
    params = {n: net.consts[n].clone().requires_grad_(True) for n in a.params.split(',') if n}
    emb = net.run(torch.from_numpy(x), params).flatten(1)
    d = emb.shape[1]
    labels = rng.randint(0, a.classes, size=a.batch)
    w0 = rng.uniform(-1, 1, size=(a.classes, d)) / np.sqrt(d)
    b0 = rng.uniform(-1, 1, size=a.classes) / np.sqrt(d)
    w = torch.from_numpy(w0).requires_grad_(True)
    b = torch.from_numpy(b0).requires_grad_(True)
    loss = F.cross_entropy(emb @ w.t() + b, torch.from_numpy(labels))
    loss.backward()
    grads = {n: p.grad.reshape(-1).tolist() for n, p in params.items()}
    grads['head.weight'] = w.grad.reshape(-1).tolist()
    grads['head.bias'] = b.grad.reshape(-1).tolist()
    with open(a.out, 'w') as f:
        json.dump({'x': x.reshape(-1).tolist(), 'xShape': shape, 'labels': labels.tolist(), 'headWeight': w0.reshape(-1).tolist(),
                   'headBias': b0.tolist(), 'loss': float(loss), 'grads': grads}, f)


if __name__ == '__main__':
    main()
