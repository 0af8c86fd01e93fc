#!/usr/bin/python3
"""PyTorch eager reference for the scale benchmark (run with the Debian /usr/bin/python3).

The pass MemLens makes on a folder of JPEGs: each image decoded (PIL), V SimCLR views per image
(torchvision's RandomResizedCrop, flip, colour jitter p=0.8, grayscale p=0.2 at the model's size),
normalization, the torchvision encoder in eager mode with the same seeded weights as
scripts/zoo/make-zoo.py exports, forward hooks on the layers MemLens taps folding their spatial
means into per-sample sums, then UnitMem (rest = mean). Prints one JSON line: wall time, peak RSS.
"""
import argparse
import importlib.util
import json
import os
import resource
import time

import torch
from PIL import Image
from torchvision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    """A sibling script as a module (their file names have dashes)."""
    spec = importlib.util.spec_from_file_location(os.path.basename(path).replace('-', '_')[:-3], os.path.join(HERE, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def encoder(name, size):
    """The module make-zoo.py exports, built with the same seeds (so the same weights)."""
    z = load('../zoo/make-zoo.py')
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    m = z.strip_head(name, z.BUILDERS[name](size)).eval()
    z.randomize_bn(m, gen)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', default='resnet50')
    ap.add_argument('--images', required=True, help='a folder of JPEG/PNG images')
    ap.add_argument('--modules', required=True, help='comma-separated module names to hook')
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--views', type=int, default=2)
    ap.add_argument('--batch', type=int, default=32, help='images per forward pass')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--mean', default='0.485,0.456,0.406')
    ap.add_argument('--std', default='0.229,0.224,0.225')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = encoder(a.name, a.size)
    modules = dict(net.named_modules())
    names = a.modules.split(',')
    missing = [n for n in names if n not in modules]
    if missing:
        raise SystemExit(f'scale-torch.py: no module {", ".join(missing)} in {a.name}')
    view = T.Compose([
        T.RandomResizedCrop(a.size, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
        T.Normalize([float(v) for v in a.mean.split(',')], [float(v) for v in a.std.split(',')]),
    ])
    files = sorted(f for f in os.listdir(a.images) if f.lower().endswith(('.jpg', '.jpeg', '.png')))
    n = len(files)
    start = time.perf_counter()
    sums = {}
    rows = {}

    def hook(name):
        def fold(_module, _inputs, out):
            sums.setdefault(name, torch.zeros(n, out.shape[1], dtype=torch.float64))
            sums[name].index_add_(0, rows['idx'], out.mean((2, 3)).double())
        return fold

    for name in names:
        modules[name].register_forward_hook(hook(name))
    per = max(1, a.batch // a.views)
    with torch.inference_mode():
        for s0 in range(0, n, per):
            ids = range(s0, min(n, s0 + per))
            images = [Image.open(os.path.join(a.images, files[i])).convert('RGB') for i in ids]
            x = torch.stack([view(img) for img in images for _ in range(a.views)])
            rows['idx'] = torch.tensor([i for i in ids for _ in range(a.views)])
            net(x)
        unitmem_mean_rest = load('unitmem-torch.py').unitmem_mean_rest
        unitmem = [unitmem_mean_rest(sums[name], a.views) for name in names]
    sec = time.perf_counter() - start
    print(json.dumps({
        'impl': 'pytorch-eager', 'threads': a.threads, 'batch': a.batch, 'samples': n, 'views': a.views,
        'layers': len(names), 'seconds': sec, 'imagesPerSec': n * a.views / sec,
        'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'meanUnitMem': float(torch.cat(unitmem).mean()),
    }))


if __name__ == '__main__':
    main()
