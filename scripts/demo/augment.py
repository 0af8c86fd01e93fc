"""Seeded SimCLR views for grayscale 28x28 images, batched in torch.

The settings are written to the project file as `augment` (AugmentSettings in src/shared/api.ts), so
MemLens draws its views from the same distribution the encoders were trained on.
"""
import math

import torch
import torch.nn.functional as F

AUGMENT = {
    'kind': 'simclr',
    'cropScale': [0.2, 1.0],  # SimCLR's small-image range (CIFAR recipe); 0.08 destroys 28x28 items
    'flipP': 0.5,
    'jitterP': 0.8,
    # Grayscale data: only brightness and contrast carry meaning; saturation/hue/grayscale are no-ops.
    'jitter': {'brightness': 0.4, 'contrast': 0.4, 'saturation': 0.0, 'hue': 0.0},
    'grayscaleP': 0.0,
}
CROP_RATIO = (3 / 4, 4 / 3)  # torchvision RandomResizedCrop default aspect-ratio range


def _uniform(n, lo, hi, gen):
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def random_views(x, gen, aug=AUGMENT):
    """x: (B, 1, H, W) in [0, 1] on any device; gen: a CPU generator, so views are the same on CPU and GPU.
    Returns one random view per image, same shape, in [0, 1]."""
    b = x.shape[0]
    # Random resized crop + horizontal flip as one affine resampling; the crop box lies inside the image.
    area = _uniform(b, *aug['cropScale'], gen)
    ratio = torch.exp(_uniform(b, math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1]), gen))
    w = torch.sqrt(area * ratio).clamp(max=1.0)
    h = torch.sqrt(area / ratio).clamp(max=1.0)
    cx = _uniform(b, -1, 1, gen) * (1 - w)
    cy = _uniform(b, -1, 1, gen) * (1 - h)
    flip = torch.where(torch.rand(b, generator=gen) < aug['flipP'], -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = w * flip, cx
    theta[:, 1, 1], theta[:, 1, 2] = h, cy
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    v = F.grid_sample(x, grid, mode='bilinear', align_corners=False)
    # Colour jitter (torchvision's brightness then contrast formulas), applied with probability jitterP.
    on = (torch.rand(b, generator=gen) < aug['jitterP']).float().view(b, 1, 1, 1).to(x.device)
    jb, jc = aug['jitter']['brightness'], aug['jitter']['contrast']
    bright = _uniform(b, 1 - jb, 1 + jb, gen).view(b, 1, 1, 1).to(x.device)
    contrast = _uniform(b, 1 - jc, 1 + jc, gen).view(b, 1, 1, 1).to(x.device)
    j = (v * bright).clamp(0, 1)
    j = (contrast * j + (1 - contrast) * j.mean(dim=(1, 2, 3), keepdim=True)).clamp(0, 1)
    return on * j + (1 - on) * v
