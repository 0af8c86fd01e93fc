#!/usr/bin/python3
"""Tiny ONNX fixtures for the engine's tests, exported by torch.onnx (Debian PyTorch 1.13, onnx 1.12).

Run with /usr/bin/python3 scripts/make-onnx-fixtures.py; writes test/fixtures/onnx/:
  cnn-opset13.onnx, cnn-opset17.onnx   ResNet-style: conv/BN/ReLU, max pool, a residual block,
                                       a depthwise conv with ReLU6, global pool, linear head
  vit-opset13.onnx, vit-opset17.onnx   ViT: conv patch embedding, CLS token, 2 pre-norm blocks; block 0
                                       uses a fused qkv projection (timm), block 1 separate q/k/v (HF)
  tvvit-opset13.onnx, tvvit-opset17.onnx  torchvision's VisionTransformer (nn.MultiheadAttention: packed
                                       in_proj, out_proj as Gemm on [T*B, C]), 2 layers, dim 16
  cnn-external/model.onnx + weights.bin  the opset-13 CNN saved by onnx with external data
  expected.json                        what discovery must find, read off the PyTorch modules (not
                                       from MemLens): per model the prunable layers in forward order
                                       with kind, units, params and block, plus input/output shapes, parameter count
                                       (float initializers, read by onnx) and FLOPs (forward hooks)
Weights are seeded so the files are reproducible.
"""
import json
import os
import shutil

import numpy
import onnx
import torch
import torch.nn as nn
import torchvision

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.block = ResBlock(8)
        self.expand = nn.Conv2d(8, 12, 1)
        self.dw = nn.Conv2d(12, 12, 3, padding=1, groups=12, bias=False)
        self.dwbn = nn.BatchNorm2d(12)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.stem(x))))
        x = self.block(x)
        x = torch.relu(self.expand(x))
        x = nn.functional.relu6(self.dwbn(self.dw(x)))
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Attention(nn.Module):
    def __init__(self, dim, heads, fused):
        super().__init__()
        self.heads, self.fused = heads, fused
        if fused:
            self.qkv = nn.Linear(dim, dim * 3)
        else:
            self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        h = self.heads
        if self.fused:
            q, k, v = self.qkv(x).reshape(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4).unbind(0)
        else:
            q, k, v = (m(x).reshape(b, t, h, c // h).transpose(1, 2) for m in (self.q, self.k, self.v))
        a = (q @ k.transpose(-2, -1)) * (c // h) ** -0.5
        y = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, dim, fused):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, 2, fused)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * 2)
        self.fc2 = nn.Linear(dim * 2, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class TinyViT(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 17, dim))
        self.blocks = nn.ModuleList([Block(dim, True), Block(dim, False)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 8)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


def randomize_bn(model):
    # Non-trivial running statistics so BatchNorm is not an identity in the exported graph.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def params(*mods):
    return sum(p.numel() for m in mods for p in m.parameters(recurse=False))


def expected_cnn(m):
    # torch.onnx folds each eval-mode BatchNorm into the conv before it, which gains a bias.
    conv = lambda mod, kind, bn: {'kind': kind, 'units': mod.out_channels,
                                  'params': params(mod) + (mod.out_channels if bn else 0)}
    return [
        conv(m.stem, 'conv', True), conv(m.block.conv1, 'conv', True), conv(m.block.conv2, 'conv', True),
        conv(m.expand, 'conv', False), conv(m.dw, 'depthwise-conv', True),
        {'kind': 'linear', 'units': m.fc.out_features, 'params': params(m.fc)},
    ]


def proto_output_shape(proto):
    return [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]


def flops(model):
    """2 x multiply-accumulates per sample of every conv, linear and attention matmul (forward hooks)."""
    total = [0]

    def hook(mod, inp, out):
        per_out = (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1] \
            if isinstance(mod, nn.Conv2d) else mod.in_features
        total[0] += 2 * out[0].numel() * per_out

    def attn_hook(mod, inp, out):
        # The output's shape (nn.MultiheadAttention is called with keywords, so `inp` can be empty).
        _, t, c = (out[0] if isinstance(out, tuple) else out).shape
        total[0] += 2 * 2 * t * t * c  # q.k^T and softmax.v over all heads
        if isinstance(mod, nn.MultiheadAttention):
            # Its projections run as F.linear on its own weights, not as hooked nn.Linear calls.
            total[0] += 2 * t * c * 3 * c + 2 * t * c * c

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    hooks += [m.register_forward_hook(attn_hook) for m in model.modules() if isinstance(m, (Attention, nn.MultiheadAttention))]
    with torch.no_grad():
        model(torch.zeros(1, 3, 16, 16))
    for h in hooks:
        h.remove()
    return total[0]


def expected_vit(m):
    lin = lambda mod, kind, block=None: dict(
        {'kind': kind, 'units': mod.out_features, 'params': params(mod)}, **({} if block is None else {'block': block}))
    rows = [{'kind': 'conv', 'units': m.patch.out_channels, 'params': params(m.patch)}]
    for i, b in enumerate(m.blocks):
        projs = [b.attn.qkv] if b.attn.fused else [b.attn.q, b.attn.k, b.attn.v]
        rows += [lin(p, 'attention-proj', i) for p in projs]
        rows += [lin(b.attn.proj, 'attention-proj', i), lin(b.fc1, 'mlp-fc1', i), lin(b.fc2, 'mlp-fc2', i)]
    rows.append(lin(m.head, 'linear'))
    return rows


def expected_tvvit(m):
    rows = [{'kind': 'conv', 'units': m.conv_proj.out_channels, 'params': params(m.conv_proj)}]
    for i, layer in enumerate(m.encoder.layers):
        attn, mlp = layer.self_attention, layer.mlp
        rows += [
            {'kind': 'attention-proj', 'units': attn.in_proj_weight.shape[0], 'params': attn.in_proj_weight.numel() + attn.in_proj_bias.numel(), 'block': i},
            {'kind': 'attention-proj', 'units': attn.out_proj.out_features, 'params': params(attn.out_proj), 'block': i},
            {'kind': 'mlp-fc1', 'units': mlp[0].out_features, 'params': params(mlp[0]), 'block': i},
            {'kind': 'mlp-fc2', 'units': mlp[3].out_features, 'params': params(mlp[3]), 'block': i},
        ]
    rows.append({'kind': 'linear', 'units': m.heads.head.out_features, 'params': params(m.heads.head)})
    return rows


def export(model, name, opset):
    path = os.path.join(OUT, f'{name}-opset{opset}.onnx')
    torch.onnx.export(model, torch.randn(2, 3, 16, 16), path, opset_version=opset, input_names=['input'],
                      output_names=['output'], dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    cnn = TinyCNN()
    randomize_bn(cnn)
    vit = TinyViT()
    tvvit = torchvision.models.VisionTransformer(image_size=16, patch_size=4, num_layers=2, num_heads=2,
                                                 hidden_dim=16, mlp_dim=32, num_classes=8)
    expected = {}
    models = ((cnn.eval(), 'cnn', expected_cnn(cnn)), (vit.eval(), 'vit', expected_vit(vit)),
              (tvvit.eval(), 'tvvit', expected_tvvit(tvvit)))
    for model, name, layers in models:
        for opset in (13, 17):
            proto = export(model, name, opset)
        floats = (onnx.TensorProto.FLOAT,)
        expected[name] = {'input': ['batch', 3, 16, 16], 'output': list(proto_output_shape(proto)),
                          'params': int(sum(numpy.prod(t.dims) for t in proto.graph.initializer if t.data_type in floats)),
                          'flops': flops(model), 'layers': layers}
    ext = os.path.join(OUT, 'cnn-external')
    shutil.rmtree(ext, ignore_errors=True)  # onnx appends to an existing data file
    os.makedirs(ext)
    onnx.save_model(onnx.load(os.path.join(OUT, 'cnn-opset13.onnx')), os.path.join(ext, 'model.onnx'),
                    save_as_external_data=True, all_tensors_to_one_file=True, location='weights.bin',
                    size_threshold=0)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
