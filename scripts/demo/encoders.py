"""The demo encoders: a narrow ResNet9 (the paper's block structure) and a small pre-norm ViT.

Both take normalized (B, 1, 28, 28) input and return the embedding (B, D); the SimCLR projection head
and the supervised classifier live outside, so the exported ONNX graph is the encoder alone.
"""
import torch
import torch.nn as nn


def conv_bn_relu(c_in, c_out, pool=False):
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """Two conv-BN-ReLU blocks plus the identity (ResNet9's res1/res2)."""

    def __init__(self, c):
        super().__init__()
        self.block1 = conv_bn_relu(c, c)
        self.block2 = conv_bn_relu(c, c)

    def forward(self, x):
        return x + self.block2(self.block1(x))


class ResNet9(nn.Module):
    """prep, layer1+pool, res1, layer2+pool, layer3+pool, res2, global average pool: 28 -> 14 -> 7 -> 3."""

    def __init__(self, widths=(16, 32, 64, 128)):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.prep = conv_bn_relu(1, w0)
        self.layer1 = conv_bn_relu(w0, w1, pool=True)
        self.res1 = Residual(w1)
        self.layer2 = conv_bn_relu(w1, w2, pool=True)
        self.layer3 = conv_bn_relu(w2, w3, pool=True)
        self.res2 = Residual(w3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dim = w3

    def forward(self, x):
        x = self.res1(self.layer1(self.prep(x)))
        x = self.res2(self.layer3(self.layer2(x)))
        return torch.flatten(self.pool(x), 1)


class Attention(nn.Module):
    """Multi-head self-attention with a fused qkv Linear (timm layout), written out so it exports as MatMuls."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * mlp_ratio)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * mlp_ratio, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    """Patch 4 on 28x28 -> 49 tokens + CLS; the embedding is the CLS token after the final LayerNorm."""

    def __init__(self, dim=64, depth=4, heads=4, mlp_ratio=2, patch=4, size=28):
        super().__init__()
        tokens = (size // patch) ** 2
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.dim = dim

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.norm(self.blocks(x))[:, 0]
