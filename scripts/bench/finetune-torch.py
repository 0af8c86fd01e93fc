#!/usr/bin/python3
"""PyTorch eager side of the fine-tuning benchmark (finetune-bench.js runs it with /usr/bin/python3).

The same work per step as finetune-ort.js: the ONNX encoder's nodes as torch ops (the interpreter of
scripts/torch-grad-reference.py, float32), a linear head, mean cross-entropy, backward for the given
parameters and the head, torch.optim.AdamW. Prints one JSON line.
  finetune-torch.py MODEL PARAMS(comma-separated) BATCH STEPS THREADS [cpu|cuda] [WARMUP]
"""
import importlib.util
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

spec = importlib.util.spec_from_file_location('ref', os.path.join(os.path.dirname(__file__), '..', 'torch-grad-reference.py'))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def main(path, names, batch, steps, threads, device='cpu', warmup='3'):
    torch.set_num_threads(int(threads))
    batch, steps = int(batch), int(steps)
    net = ref.TorchGraph(path, dtype=torch.float32)
    net.consts = {k: v.to(device) for k, v in net.consts.items()}
    shape = [d.dim_value for d in next(i for i in net.model.graph.input if i.name == net.input).type.tensor_type.shape.dim[1:]]
    x = torch.sin(torch.arange(batch * int(torch.tensor(shape).prod()), dtype=torch.float32)).reshape(batch, *shape).to(device)
    labels = (torch.arange(batch) % 10).to(device)
    params = {n: net.consts[n].clone().requires_grad_(True) for n in names.split(',') if n}
    d = net.run(x, params).flatten(1).shape[1]
    w = torch.full((10, d), 0.01, device=device, requires_grad=True)
    b = torch.zeros(10, device=device, requires_grad=True)
    opt = torch.optim.AdamW([*params.values(), w, b], lr=1e-3, weight_decay=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net.run(x, params).flatten(1) @ w.t() + b, labels)
        loss.backward()
        opt.step()

    for _ in range(int(warmup)):
        step()
    if device == 'cuda':
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(steps):
        step()
    if device == 'cuda':
        torch.cuda.synchronize()
    sec = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({'impl': f'pytorch-eager-{device}', 'batch': batch, 'steps': steps, 'seconds': sec, 'cpuSeconds': cpu, 'imagesPerSec': batch * steps / sec}))


if __name__ == '__main__':
    main(*sys.argv[1:])
