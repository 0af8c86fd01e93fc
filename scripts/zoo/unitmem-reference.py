"""PyTorch reference for UnitMem's rate policy (docs/UNITS.md) on zoo encoders (run with /usr/bin/python3).

Rebuilds the seeded torchvision model exactly as make-zoo.py exports it, hooks its modules at the
taps docs/UNITS.md documents, and writes, per MemLens layer name (the ONNX node name torch gives
the layer), the per-image per-unit mean rate and UnitMem over the images (one view each, rest =
mean of the other images). Independent of MemLens: it reads torch modules, not the ONNX graph.

  unitmem-reference.py NAME --pixels F --count N [--size S] --out OUT.json

F holds N float32 images [N, 3, S, S], already normalized, little-endian.
"""
import argparse
import importlib.util
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('make_zoo', os.path.join(HERE, 'make-zoo.py'))
make_zoo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_zoo)


def node_name(path, op):
    """The ONNX node name torch.onnx gives a module's op: one scope per path part, digits joined on."""
    scopes = []
    for part in path.split('.'):
        scopes.append(f'{scopes[-1]}.{part}' if part.isdigit() and scopes else part)
    return '/' + '/'.join(scopes) + '/' + op


def spatial(t):
    return F.relu(t).mean(dim=(2, 3))


def tokens(t):
    return F.relu(t).mean(dim=1)


def resnet_taps(m):
    """Stem: after its ReLU. conv1 of a block: ReLU(bn1(.)). conv2 and the downsample: the block
    output, after the residual Add and its ReLU (where the paper's code reads ResNets)."""
    taps = [(node_name('conv1', 'Conv'), m.relu, spatial)]
    for lname in ['layer1', 'layer2', 'layer3', 'layer4']:
        for i, block in enumerate(getattr(m, lname)):
            p = f'{lname}.{i}'
            taps.append((node_name(f'{p}.conv1', 'Conv'), block.bn1, spatial))
            taps.append((node_name(f'{p}.conv2', 'Conv'), block, spatial))
            if block.downsample is not None:
                taps.append((node_name(f'{p}.downsample.0', 'Conv'), block, spatial))
    return taps


def mobilenet_taps(m):
    """Conv-BN-ReLU6 units: after the ReLU6. Linear bottleneck projections (conv, BN, no
    activation): the positive part of the BN output, before any residual Add."""
    taps = []
    for i, f in enumerate(m.features):
        if not hasattr(f, 'conv'):
            taps.append((node_name(f'features.{i}.0', 'Conv'), f, spatial))
            continue
        mods = list(f.conv)
        for k, sub in enumerate(mods[:-2]):
            taps.append((node_name(f'features.{i}.conv.{k}.0', 'Conv'), sub, spatial))
        k = len(mods) - 2
        taps.append((node_name(f'features.{i}.conv.{k}', 'Conv'), mods[-1], spatial))
    return taps


def vit_taps(m):
    """Every ViT unit is signed (GELU, the residual stream): the positive part, averaged over all
    tokens. nn.MultiheadAttention runs its fused q,k,v projection functionally, so that one is
    recomputed from the hooked ln_1 output; out_proj is the attention module's output."""
    taps = [(node_name('conv_proj', 'Conv'), m.conv_proj, spatial)]
    for i, layer in enumerate(m.encoder.layers):
        p = f'encoder.layers.encoder_layer_{i}'
        attn = layer.self_attention
        qkv = lambda x, a=attn: tokens(F.linear(x, a.in_proj_weight, a.in_proj_bias))
        taps.append((node_name(f'{p}.self_attention', 'MatMul'), layer.ln_1, qkv))
        taps.append((node_name(f'{p}.self_attention', 'Gemm'), attn, lambda out: tokens(out[0])))
        taps.append((node_name(f'{p}.mlp.0', 'MatMul'), layer.mlp[1], tokens))
        taps.append((node_name(f'{p}.mlp.3', 'MatMul'), layer.mlp[3], tokens))
    return taps


TAPS = {'resnet18': resnet_taps, 'mobilenet_v2': mobilenet_taps, 'vit_small': vit_taps}


def unitmem(mu):
    """(max - mean of the rest) / (max + mean of the rest) per unit; 0 where that sum is 0."""
    n = mu.shape[0]
    mx = mu.max(axis=0)
    rest = (mu.sum(axis=0) - mx) / (n - 1)
    den = mx + rest
    return np.where(den == 0, 0.0, (mx - rest) / np.where(den == 0, 1.0, den))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('name', choices=sorted(TAPS))
    p.add_argument('--pixels', required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    m = make_zoo.strip_head(a.name, make_zoo.BUILDERS[a.name](a.size)).eval()
    make_zoo.randomize_bn(m, gen)
    x = torch.from_numpy(np.fromfile(a.pixels, dtype='<f4').reshape(a.count, 3, a.size, a.size).copy())
    got = {}

    def hook(name, fn):
        def record(_module, _inputs, out):
            got.setdefault(name, fn(out))  # returns None: the module's output stays as it is
        return record

    hooks = [module.register_forward_hook(hook(name, fn)) for name, module, fn in TAPS[a.name](m)]
    with torch.no_grad():
        m(x)
    for h in hooks:
        h.remove()
    layers = {}
    for name, mu in got.items():
        mu = mu.double().numpy()
        layers[name] = {'mu': mu.tolist(), 'unitmem': unitmem(mu).tolist()}
    with open(a.out, 'w') as f:
        json.dump({'layers': layers}, f)


if __name__ == '__main__':
    main()
