"""Tiny ONNX encoders for the pruning tests (run with /usr/bin/python3: torch 1.13 + onnx 1.12).

Each model covers coupling rules of src/main/engine/prune/groups.ts; weights are seeded random
(pruning equivalence does not need trained weights). Input 1x28x28 so real Fashion-MNIST images feed
them. Writes test/fixtures/prune/{cnn,branches,vit,vitqkv}.onnx, or only the NAMEs given.

  make-prune-fixtures.py [NAME ...]

  cnn       ResNet9-like: conv-BN(folded)-ReLU, MaxPool, residual block with Add, GlobalAveragePool,
            Flatten, Gemm embedding head.
  branches  conv-ReLU-BN (BN kept: it follows the ReLU so the exporter cannot fold it), depthwise conv,
            two branches joined by Concat, grouped conv, Reshape(-1, C*H*W) -> Gemm over column blocks.
  vit       2 pre-norm ViT blocks: patch conv, CLS token, attention, MLP fc1 -> GELU (Erf form) -> fc2.
  vitqkv    the same with separate q, k and v projections (3 heads of 8), seeded on its own.
"""
import os
import sys

import onnx
import torch
import torch.nn as nn

torch.set_num_threads(2)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'prune')


def randomize_bn(m):
    """Non-trivial BN statistics, so BN slicing and masking are actually exercised."""
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            with torch.no_grad():
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.2, 0.2)
                bn.running_mean.uniform_(-0.1, 0.1)
                bn.running_var.uniform_(0.5, 1.5)


def cbr(cin, cout, pool=False):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*layers, *( [nn.MaxPool2d(2)] if pool else []))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.prep = cbr(1, 4)
        self.layer1 = cbr(4, 6, pool=True)
        self.res1 = nn.Sequential(cbr(6, 6), cbr(6, 6))
        self.layer2 = cbr(6, 8, pool=True)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = self.layer1(self.prep(x))
        x = x + self.res1(x)
        x = self.layer2(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, stride=2, padding=1)  # 14x14
        self.bn1 = nn.BatchNorm2d(6)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.a = nn.Conv2d(6, 4, 1)
        self.b = nn.Conv2d(6, 3, 3, padding=1)
        self.conv3 = nn.Conv2d(7, 6, 3, stride=2, padding=1)  # 7x7
        self.grouped = nn.Conv2d(6, 4, 3, stride=2, padding=1, groups=2)  # 4x4
        self.conv5 = nn.Conv2d(4, 5, 1)
        self.head = nn.Linear(5 * 4 * 4, 6)

    def forward(self, x):
        x = self.bn1(torch.relu(self.conv1(x)))
        x = torch.relu(self.dw(x))
        x = torch.cat([torch.relu(self.a(x)), torch.relu(self.b(x))], 1)
        x = torch.relu(self.grouped(torch.relu(self.conv3(x))))
        x = torch.relu(self.conv5(x))
        return self.head(x.reshape(-1, 5 * 4 * 4))  # a Reshape with a constant target, not Flatten


class Attention(nn.Module):
    """timm-style attention (qkv and proj as nn.Linear), as the demo ViT has."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, -1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, d))


class SeparateAttention(nn.Module):
    """Attention with separate q, k and v projections (as in Hugging Face ViTs)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (p(x).reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for p in (self.q, self.k, self.v))
        a = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, -1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, attention=Attention):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class Vit(nn.Module):
    def __init__(self, dim=16, heads=2, hidden=32, depth=2, patch=7, attention=Attention):
        super().__init__()
        self.patch = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.pos = nn.Parameter(torch.randn(1, (28 // patch) ** 2 + 1, dim) * 0.1)
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden, attention) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.norm(self.blocks(x))[:, 0]


def export(model, name):
    model.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(
        model, torch.randn(2, 1, 28, 28), path, opset_version=17,
        input_names=['input'], output_names=['embedding'],
        dynamic_axes={'input': {0: 'batch'}, 'embedding': {0: 'batch'}},
    )
    onnx.checker.check_model(onnx.load(path), full_check=True)
    print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    names = sys.argv[1:] or ['cnn', 'branches', 'vit', 'vitqkv']
    # One seeded stream for the first three, so adding a fixture leaves theirs as they were.
    torch.manual_seed(0)
    for name, cls in (('cnn', Cnn), ('branches', Branches), ('vit', Vit)):
        m = cls()
        randomize_bn(m)
        if name in names:
            export(m, name)
    torch.manual_seed(1)
    if 'vitqkv' in names:
        export(Vit(dim=24, heads=3, attention=SeparateAttention), 'vitqkv')
