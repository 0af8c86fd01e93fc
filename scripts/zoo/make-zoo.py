"""Exports torchvision encoders to ONNX for the tests and benchmarks (run with /usr/bin/python3).

Real topologies with seeded random weights (weights=None: nothing is downloaded). The classifier is
replaced by Identity so each model maps [N, 3, S, S] images to one embedding per image, as MemLens
expects; BatchNorm statistics are randomised so BN folding and slicing are exercised.

  make-zoo.py OUT_DIR NAME [NAME ...] [--size S]    writes OUT_DIR/NAME.onnx (opset 17, dynamic batch)

NAME is one of: resnet18 resnet50 mobilenet_v2 efficientnet_b0 densenet121 convnext_tiny vit_small
"""
import argparse
import os

import torch
import torch.nn as nn
import torchvision


def vit_small(size):
    # ViT-S/16 shape (384 wide, 6 heads) at a small depth so tests stay fast; torchvision has no ViT-S.
    return torchvision.models.VisionTransformer(image_size=size, patch_size=16, num_layers=4, num_heads=6,
                                                hidden_dim=384, mlp_dim=1536)


BUILDERS = {
    'resnet18': lambda s: torchvision.models.resnet18(weights=None),
    'resnet50': lambda s: torchvision.models.resnet50(weights=None),
    'mobilenet_v2': lambda s: torchvision.models.mobilenet_v2(weights=None),
    'efficientnet_b0': lambda s: torchvision.models.efficientnet_b0(weights=None),
    'densenet121': lambda s: torchvision.models.densenet121(weights=None),
    'convnext_tiny': lambda s: torchvision.models.convnext_tiny(weights=None),
    'vit_small': vit_small,
}


def strip_head(name, m):
    if name.startswith('resnet'):
        m.fc = nn.Identity()
    elif name.startswith('vit'):
        m.heads = nn.Identity()
    else:
        m.classifier = nn.Identity() if not name.startswith('convnext') else nn.Sequential(*list(m.classifier)[:-1])
    return m


def randomize_bn(m, gen):
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            with torch.no_grad():
                bn.running_mean.copy_(torch.empty_like(bn.running_mean).uniform_(-0.1, 0.1, generator=gen))
                bn.running_var.copy_(torch.empty_like(bn.running_var).uniform_(0.5, 1.5, generator=gen))


def export(name, size, out):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    m = strip_head(name, BUILDERS[name](size)).eval()
    randomize_bn(m, gen)
    x = torch.randn(2, 3, size, size, generator=gen)
    kwargs = {'dynamo': False} if 'dynamo' in torch.onnx.export.__code__.co_varnames else {}
    tmp = f'{out}.{os.getpid()}.tmp'
    torch.onnx.export(m, x, tmp, opset_version=17, input_names=['input'], output_names=['embedding'],
                      dynamic_axes={'input': {0: 'batch'}, 'embedding': {0: 'batch'}}, **kwargs)
    os.replace(tmp, out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('names', nargs='+', choices=sorted(BUILDERS))
    p.add_argument('--size', type=int, default=64)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    for n in a.names:
        export(n, a.size, os.path.join(a.out, f'{n}.onnx'))


if __name__ == '__main__':
    main()
