#!/usr/bin/python3
"""PyTorch eager reference for the UnitMem benchmark (run with the Debian /usr/bin/python3).

The same pass MemLens makes: IDX images decoded once, SimCLR views (random resized crop + flip via
one batched affine grid_sample, brightness/contrast jitter with p=0.8), normalization, the encoder's
forward pass in eager mode with the same weights (the ONNX graph's nodes executed one by one as torch
ops, so no re-export can drift from the file), spatial means of the tapped tensors folded into per-sample
sums, then UnitMem (rest = mean). Prints one JSON line: samples/s, images/s, peak RSS.
"""
import argparse
import gzip
import json
import resource
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def read_idx_images(path, limit):
    raw = gzip.open(path).read() if path.endswith('.gz') else open(path, 'rb').read()
    n, h, w = (int.from_bytes(raw[i:i + 4], 'big') for i in (4, 8, 12))
    n = min(n, limit)
    return torch.from_numpy(np.frombuffer(raw, np.uint8, n * h * w, 16).reshape(n, 1, h, w).copy())


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class EagerOnnx:
    """Executes an ONNX graph node by node with torch ops (the ops of the demo CNN)."""

    def __init__(self, path):
        model = onnx.load(path)
        self.graph = model.graph
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in self.graph.initializer}
        self.input = self.graph.input[0].name

    def run(self, x, wanted):
        env = dict(self.consts)
        env[self.input] = x
        for node in self.graph.node:
            a = attrs(node)
            i = [env[n] if n else None for n in node.input]
            op = node.op_type
            if op == 'Conv':
                p = a.get('pads', [0, 0, 0, 0])
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get('strides', 1), (p[0], p[1]),
                             a.get('dilations', 1), a.get('group', 1))
            elif op == 'Relu':
                y = F.relu(i[0])
            elif op == 'MaxPool':
                p = a.get('pads', [0, 0, 0, 0])
                y = F.max_pool2d(i[0], a['kernel_shape'], a.get('strides', a['kernel_shape']), (p[0], p[1]))
            elif op == 'Add':
                y = i[0] + i[1]
            elif op == 'Mul':
                y = i[0] * i[1]
            elif op == 'GlobalAveragePool':
                y = i[0].mean((2, 3), keepdim=True)
            elif op == 'ReduceMean':
                axes = a.get('axes') or i[1].tolist()
                y = i[0].mean(tuple(axes), keepdim=bool(a.get('keepdims', 1)))
            elif op == 'Flatten':
                y = i[0].flatten(a.get('axis', 1))
            elif op == 'BatchNormalization':
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get('epsilon', 1e-5))
            elif op == 'Gemm':
                w = i[1].t() if a.get('transB', 0) else i[1]
                y = i[0] @ w + (i[2] if len(i) > 2 else 0)
            elif op == 'Identity':
                y = i[0]
            else:
                raise SystemExit(f'unitmem-torch.py: op {op} is not in the eager reference')
            env[node.output[0]] = y
        return [env[n] for n in wanted]


def views(base, scale, ratio, gen):
    """Random resized crop + horizontal flip as one affine grid per image, then jitter (p=0.8)."""
    n = base.shape[0]
    x = base.float() / 255
    area = torch.empty(n).uniform_(*scale, generator=gen)
    logr = torch.empty(n).uniform_(np.log(ratio[0]), np.log(ratio[1]), generator=gen)
    r = torch.exp(logr)
    cw = torch.sqrt(area * r).clamp(max=1.0)
    ch = torch.sqrt(area / r).clamp(max=1.0)
    cx = (torch.rand(n, generator=gen) * 2 - 1) * (1 - cw)
    cy = (torch.rand(n, generator=gen) * 2 - 1) * (1 - ch)
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cw * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = ch
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)
    on = (torch.rand(n, generator=gen) < 0.8).float().view(n, 1, 1, 1)
    b = torch.empty(n).uniform_(0.6, 1.4, generator=gen).view(n, 1, 1, 1)
    c = torch.empty(n).uniform_(0.6, 1.4, generator=gen).view(n, 1, 1, 1)
    j = (x * b).clamp(0, 1)
    m = j.mean((1, 2, 3), keepdim=True)
    j = ((j - m) * c + m).clamp(0, 1)
    return on * j + (1 - on) * x


def unitmem_mean_rest(sums, views):
    """UnitMem per unit (rest = mean) from per-sample sums over views, [samples, units]."""
    mu = sums / views
    mx, _ = mu.max(0)
    rest = (mu.sum(0) - mx) / (mu.shape[0] - 1)
    den = mx + rest
    return torch.where(den == 0, torch.zeros_like(den), (mx - rest) / den)


def cpu_seconds():
    """CPU time of every thread of the process (steadier than wall time on a shared machine)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--images', required=True)
    ap.add_argument('--taps', required=True, help='comma-separated activation tensor names')
    ap.add_argument('--samples', type=int, default=1000)
    ap.add_argument('--views', type=int, default=10)
    ap.add_argument('--batch', type=int, default=250, help='images per forward pass')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--mean', type=float, default=0.5)
    ap.add_argument('--std', type=float, default=0.5)
    ap.add_argument('--augment', choices=['simclr', 'none'], default='simclr')
    ap.add_argument('--dump', action='store_true', help='also print UnitMem per layer (a reference for tests)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    taps = a.taps.split(',')
    net = EagerOnnx(a.model)
    start = time.perf_counter()
    cpu0 = cpu_seconds()
    imgs = read_idx_images(a.images, a.samples)
    n = imgs.shape[0]
    per = max(1, a.batch // a.views)
    sums = None
    with torch.inference_mode():
        for s0 in range(0, n, per):
            idx = torch.arange(s0, min(n, s0 + per)).repeat_interleave(a.views)
            base = imgs[idx]
            x = views(base, (0.08, 1.0), (3 / 4, 4 / 3), gen) if a.augment == 'simclr' else base.float() / 255
            x = (x - a.mean) / a.std
            outs = [t.mean((2, 3)) if t.dim() == 4 else t for t in net.run(x, taps)]
            if sums is None:
                sums = [torch.zeros(n, o.shape[1], dtype=torch.float64) for o in outs]
            for acc, o in zip(sums, outs):
                acc.index_add_(0, idx, o.double())
        unitmem = [unitmem_mean_rest(acc, a.views) for acc in sums]
    sec = time.perf_counter() - start
    print(json.dumps({
        'impl': 'pytorch-eager', 'threads': a.threads, 'batch': a.batch, 'samples': n, 'views': a.views,
        'seconds': sec, 'cpuSeconds': cpu_seconds() - cpu0, 'samplesPerSec': n / sec, 'imagesPerSec': n * a.views / sec,
        'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'meanUnitMem': float(torch.cat(unitmem).mean()),
        **({'unitmem': [u.tolist() for u in unitmem]} if a.dump else {}),
    }))


if __name__ == '__main__':
    main()
