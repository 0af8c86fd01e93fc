"""What the factory checks before the models ship: the alignment gap (does f memorize S_C?) and probes."""
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from .augment import random_views
from .train import normalize


@torch.no_grad()
def embed(encoder, x, norm, batch=500):
    encoder.eval()
    return torch.cat([encoder(normalize(x[i:i + batch], norm)) for i in range(0, len(x), batch)])


@torch.no_grad()
def view_distance(encoder, views, norm):
    """views: (V, N, 1, H, W). Per point: mean cosine distance over all pairs of distinct views (docs/METRICS.md "SSLMem, LayerMem and DeltaLayerMem")."""
    v, n = views.shape[:2]
    z = F.normalize(embed(encoder, views.flatten(0, 1), norm).view(v, n, -1), dim=2)
    sim = torch.einsum('and,bnd->nab', z, z)
    off_diagonal = (sim.sum(dim=(1, 2)) - sim.diagonal(dim1=1, dim2=2).sum(dim=1)) / (v * (v - 1))
    return 1 - off_diagonal


def alignment_gap(f, g, x, norm, views, seed):
    """Mean over points of SSL_g - SSL_f on the same seeded views, and the paper's normalized form."""
    gen = torch.Generator().manual_seed(seed)
    vs = torch.stack([random_views(x, gen) for _ in range(views)])
    d_f, d_g = view_distance(f, vs, norm), view_distance(g, vs, norm)
    gap = d_g - d_f
    return {
        'ssl_f': d_f.mean().item(),
        'ssl_g': d_g.mean().item(),
        'gap': gap.mean().item(),
        'gap_standard_error': (gap.std() / len(gap) ** 0.5).item(),
        'gap_normalized': (gap / (d_g + d_f)).mean().item(),
        'positive_fraction': (gap > 0).float().mean().item(),
    }


def linear_probe(encoder, train, test, norm):
    """Logistic regression on frozen, standardized embeddings of the un-augmented images; test accuracy."""
    scaler = StandardScaler()
    a = scaler.fit_transform(embed(encoder, train[0], norm).numpy())
    b = scaler.transform(embed(encoder, test[0], norm).numpy())
    clf = LogisticRegression(max_iter=2000).fit(a, train[1].numpy())
    return float(np.mean(clf.predict(b) == test[1].numpy()))
