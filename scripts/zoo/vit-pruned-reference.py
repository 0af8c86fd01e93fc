"""The embedding a structurally pruned vit_small of make-zoo.py should compute, from PyTorch alone.

Rebuilds the seeded torchvision model as make-zoo.py exports it, keeps the weights of the units a
`memlens prune` result document did not remove (the stream's channels, each head's dimensions, the
MLP hidden units; where the stream was not cut, its selected units are zeroed, as the export masks
them) and runs the encoder by hand on them: LayerNorms over the kept channels, the
softmax scale of the unpruned head size (1/sqrt(64), as the export keeps it). The test compares
this with onnxruntime on the exported ONNX (test/integration/prune-zoo.test.ts).

  vit-pruned-reference.py SIZE RESULT.json INPUT.f32 BATCH OUT.f32
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

size, result, inp, batch, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
spec = importlib.util.spec_from_file_location('make_zoo', os.path.join(os.path.dirname(__file__), 'make-zoo.py'))
zoo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(zoo)
torch.manual_seed(0)  # as make-zoo.py's export()
m = zoo.strip_head('vit_small', zoo.BUILDERS['vit_small'](size)).eval()
doc = json.load(open(result))
removed = doc['removed']
STREAM = ['/conv_proj/Conv'] + [f'/encoder/layers/encoder_layer_{b}/{n}' for b in range(len(m.encoder.layers))
                                 for n in ('self_attention/Gemm', 'mlp/mlp.3/MatMul')]
cut_stream = any(l['name'] == STREAM[0] and l['cut'] > 0 for l in doc['layers'])
if cut_stream and any(removed.get(n) != removed[STREAM[0]] for n in STREAM):
    sys.exit('the stream layers lost different channels')


def kept(name, n):
    gone = set(removed.get(name, []))
    return torch.tensor([i for i in range(n) if i not in gone], dtype=torch.long)


D, H = m.hidden_dim, 6
s = kept(STREAM[0], D) if cut_stream else torch.arange(D)
if not cut_stream:
    # Masked: each stream layer's selected output units are zeroed (weights and bias).
    layers = [m.conv_proj] + [x for layer in m.encoder.layers for x in (layer.self_attention.out_proj, layer.mlp[3])]
    with torch.no_grad():
        for name, layer in zip(STREAM, layers):
            layer.weight[removed.get(name, [])] = 0
            layer.bias[removed.get(name, [])] = 0
x = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(batch, 3, size, size))
with torch.no_grad():
    p = F.conv2d(x, m.conv_proj.weight[s], m.conv_proj.bias[s], stride=16).flatten(2).transpose(1, 2)
    t = torch.cat([m.class_token[..., s].expand(batch, -1, -1), p], 1) + m.encoder.pos_embedding[..., s]

    def ln(v, norm):
        return F.layer_norm(v, (len(s),), norm.weight[s], norm.bias[s], norm.eps)

    for b, layer in enumerate(m.encoder.layers):
        at = layer.self_attention
        a = kept(f'/encoder/layers/encoder_layer_{b}/self_attention/MatMul', 3 * D)
        qkv = F.linear(ln(t, layer.ln_1), at.in_proj_weight[a][:, s], at.in_proj_bias[a])
        q, k, v = (u.reshape(batch, -1, H, len(a) // 3 // H).transpose(1, 2) for u in qkv.chunk(3, -1))
        o = (torch.softmax(q @ k.transpose(-1, -2) / (D // H) ** 0.5, -1) @ v).transpose(1, 2).flatten(2)
        t = t + F.linear(o, at.out_proj.weight[s][:, a[: len(a) // 3]], at.out_proj.bias[s])
        h = kept(f'/encoder/layers/encoder_layer_{b}/mlp/mlp.0/MatMul', layer.mlp[0].out_features)
        y = F.gelu(F.linear(ln(t, layer.ln_2), layer.mlp[0].weight[h][:, s], layer.mlp[0].bias[h]))
        t = t + F.linear(y, layer.mlp[3].weight[s][:, h], layer.mlp[3].bias[s])
    ln(t, m.encoder.ln)[:, 0].numpy().astype(np.float32).tofile(out)
