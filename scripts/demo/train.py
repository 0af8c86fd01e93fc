"""SimCLR (NT-Xent) and supervised training loops, seeded; the heads are dropped after training."""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from .augment import random_views


def normalize(x, norm):
    return (x - norm['mean'][0]) / norm['std'][0]


def nt_xent(z1, z2, temperature):
    """SimCLR's loss: each view's positive is its partner among the 2B-1 other views of the batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float('-inf'))
    n = z1.shape[0]
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


def projection_head(dim, out=64):
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, out))


def _optimizer(params, cfg, steps):
    opt = torch.optim.AdamW(params, lr=cfg['lr'], weight_decay=cfg['weight_decay'])
    # Cosine decay to 0 over the run (SimCLR's schedule, without warm-up: the runs are short).
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    return opt, sched


def _run(model, loss_of_batch, params, x, cfg, seed, log):
    gen = torch.Generator().manual_seed(seed)
    batches = math.ceil(len(x) / cfg['batch'])
    opt, sched = _optimizer(params, cfg, cfg['epochs'] * batches)
    start = time.time()
    model.train()
    for epoch in range(cfg['epochs']):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(batches):
            idx = order[i * cfg['batch']:(i + 1) * cfg['batch']]
            loss = loss_of_batch(idx, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if epoch % cfg['log_every'] == 0 or epoch == cfg['epochs'] - 1:
            log(f"  epoch {epoch + 1}/{cfg['epochs']} loss {total / len(x):.4f} ({time.time() - start:.0f}s)")
    model.eval()
    return time.time() - start


def train_simclr(encoder, x, norm, cfg, seed, log=print):
    """x: (N, 1, 28, 28) in [0, 1], on the encoder's device. Trains encoder in place; returns wall seconds."""
    torch.manual_seed(seed)
    head = projection_head(encoder.dim).to(x.device)
    model = nn.ModuleDict({'encoder': encoder, 'head': head})

    def loss_of_batch(idx, gen):
        batch = x[idx]
        v1 = normalize(random_views(batch, gen), norm)
        v2 = normalize(random_views(batch, gen), norm)
        return nt_xent(head(encoder(v1)), head(encoder(v2)), cfg['temperature'])

    return _run(model, loss_of_batch, model.parameters(), x, cfg, seed, log)


def train_supervised(encoder, x, y, norm, cfg, seed, log=print):
    """Cross-entropy through a linear classifier on the embedding, on the same views as SimCLR."""
    torch.manual_seed(seed)
    classifier = nn.Linear(encoder.dim, int(y.max()) + 1).to(x.device)
    model = nn.ModuleDict({'encoder': encoder, 'classifier': classifier})

    def loss_of_batch(idx, gen):
        return F.cross_entropy(classifier(encoder(normalize(random_views(x[idx], gen), norm))), y[idx])

    return _run(model, loss_of_batch, model.parameters(), x, cfg, seed, log)
