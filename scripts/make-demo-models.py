#!/usr/bin/python3
"""The demo project's factory: trains the five demo encoders on Fashion-MNIST and writes resources/demo/.

Run with Debian's PyTorch: /usr/bin/python3 scripts/make-demo-models.py [options]
  --epochs N            train every model N epochs instead of the recipe's (a timing or smoke run)
  --out DIR             write there instead of resources/demo
  --source DIR          Fashion-MNIST's four .gz IDX files (default: Debian's dataset-fashion-mnist)
  --device cuda         train on a GPU
  --save-weights F.npz  train, save the weights and stop (training on a GPU box with another PyTorch)
  --weights F.npz       skip training: load those weights, then export with this PyTorch, measure, write
The ONNX files are always exported here, by Debian's PyTorch 1.13 (the exporter the engine's tests know).

Split (seeded, recorded in split.json): from the original train file a shared set S_S, candidates S_C and
an independent set S_I (docs/METRICS.md "Setting"); from the original test file a labelled downstream train/test split.
  ssl-cnn-f  ResNet9, SimCLR on S_S + S_C (the target)      ssl-vit-f  ViT, SimCLR on S_S + S_C
  ssl-cnn-g  ResNet9, SimCLR on S_S + S_I (the reference)   ssl-vit-g  ViT, SimCLR on S_S + S_I
  sl-cnn     ResNet9, cross-entropy on S_S + S_C (supervised baseline)
Before shipping it checks that f memorizes: the candidates' alignment gap SSL_g - SSL_f at the embedding
must be clearly positive (and larger than the same gap on S_I, the control). Exit code 1 if not.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo.augment import AUGMENT  # noqa: E402
from demo.encoders import ResNet9, ViT  # noqa: E402
from demo.idx import read_idx, write_idx  # noqa: E402
from demo.measure import alignment_gap, embed, linear_probe  # noqa: E402
from demo.readme import write_readme  # noqa: E402
from demo.train import train_simclr, train_supervised  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SOURCE = '/usr/share/datasets/fashion-mnist'
SEED = 0
SIZES = {'shared': 500, 'candidates': 250, 'independent': 250, 'train': 2000, 'test': 1000}
NORM = {'mean': [0.2860], 'std': [0.3530]}  # Fashion-MNIST train-set pixel mean/std after scaling to [0, 1]
CNN_WIDTHS = (16, 32, 64, 128)
VIT = {'dim': 64, 'depth': 3, 'heads': 4, 'mlp_ratio': 2}
# Small sets, many epochs: memorization only shows after long training (the paper trains hundreds).
SIMCLR_CNN = {'epochs': 800, 'batch': 128, 'lr': 2e-3, 'weight_decay': 1e-4, 'temperature': 0.2, 'log_every': 100}
SIMCLR_VIT = {**SIMCLR_CNN, 'epochs': 600, 'lr': 1e-3}
SUPERVISED = {**SIMCLR_CNN, 'epochs': 100, 'log_every': 25}
GAP_VIEWS = 10
GAP_MIN_SE = 5  # "clearly positive": the candidates' mean gap is at least 5 standard errors above 0
REFERENCE_POINTS = 4


def load_split(source):
    """Seeded split; returns {name: (indices, images (N,28,28) uint8, labels (N,) uint8)}."""
    rng = np.random.default_rng(SEED)
    train_x, train_y = read_idx(f'{source}/train-images-idx3-ubyte.gz'), read_idx(f'{source}/train-labels-idx1-ubyte.gz')
    test_x, test_y = read_idx(f'{source}/t10k-images-idx3-ubyte.gz'), read_idx(f'{source}/t10k-labels-idx1-ubyte.gz')
    sets, at = {}, 0
    order = rng.permutation(len(train_x))
    for name in ('shared', 'candidates', 'independent'):
        idx = np.sort(order[at:at + SIZES[name]])
        sets[name], at = (idx, train_x[idx], train_y[idx]), at + SIZES[name]
    order, at = rng.permutation(len(test_x)), 0
    for name in ('train', 'test'):
        idx = np.sort(order[at:at + SIZES[name]])
        sets[name], at = (idx, test_x[idx], test_y[idx]), at + SIZES[name]
    return sets


def as_tensor(images):
    return torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)


def export(encoder, path, recipe):
    torch.onnx.export(encoder, torch.zeros(2, 1, 28, 28), path, opset_version=17, input_names=['input'],
                      output_names=['embedding'], dynamic_axes={'input': {0: 'batch'}, 'embedding': {0: 'batch'}})
    model = onnx.load(path)
    for key, value in (('memlens.demo.recipe', recipe), ('memlens.normalization', json.dumps(NORM))):
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def models_to_train(sets, device):
    """(file, builder, trainer, recipe text) for every demo encoder, f before g."""
    x = {k: as_tensor(v[1]).to(device) for k, v in sets.items()}
    f_data = torch.cat([x['shared'], x['candidates']])
    g_data = torch.cat([x['shared'], x['independent']])
    labels = torch.from_numpy(np.concatenate([sets['shared'][2], sets['candidates'][2]]).astype(np.int64)).to(device)
    cnn, vit = (lambda: ResNet9(CNN_WIDTHS)), (lambda: ViT(**VIT))
    simclr = lambda data, cfg: lambda enc, log: train_simclr(enc, data, NORM, cfg, SEED, log)  # noqa: E731
    return [
        ('ssl-cnn-f.onnx', cnn, simclr(f_data, SIMCLR_CNN), 'SimCLR on S_S + S_C'),
        ('ssl-cnn-g.onnx', cnn, simclr(g_data, SIMCLR_CNN), 'SimCLR on S_S + S_I'),
        ('sl-cnn.onnx', cnn, lambda enc, log: train_supervised(enc, f_data, labels, NORM, SUPERVISED, SEED, log),
         'cross-entropy on S_S + S_C'),
        ('ssl-vit-f.onnx', vit, simclr(f_data, SIMCLR_VIT), 'SimCLR on S_S + S_C'),
        ('ssl-vit-g.onnx', vit, simclr(g_data, SIMCLR_VIT), 'SimCLR on S_S + S_I'),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, help="override every model's epochs (timing or smoke runs)")
    parser.add_argument('--out', default=os.path.join(ROOT, 'resources', 'demo'), help='output folder')
    parser.add_argument('--source', default=SOURCE, help="folder with Fashion-MNIST's .gz IDX files")
    parser.add_argument('--device', default='cpu', help='torch device to train on')
    parser.add_argument('--save-weights', help='train, write the weights to this .npz and stop')
    parser.add_argument('--weights', help='load the weights from this .npz instead of training')
    args = parser.parse_args()
    torch.set_num_threads(2)  # the build machine's two cores are shared
    if args.epochs:
        for cfg in (SIMCLR_CNN, SIMCLR_VIT, SUPERVISED):
            cfg.update(epochs=args.epochs, log_every=1)
    sets = load_split(args.source)
    encoders, seconds, device = {}, {}, f'{args.device} (PyTorch {torch.__version__})'
    for name, build, trainer, recipe in models_to_train(sets, args.device):
        torch.manual_seed(SEED)  # f and g start from the same weights
        encoder = build().to(args.device)
        if not args.weights:
            print(f'training {name} ({recipe}) on {args.device}', flush=True)
            seconds[name] = trainer(encoder, lambda m: print(m, flush=True))
        encoders[name] = (encoder.cpu().eval(), recipe)
    if args.save_weights:
        save_weights(args.save_weights, encoders, seconds, device)
        return 0
    if args.weights:
        seconds, device = load_weights(args.weights, encoders)
    return finish(sets, encoders, {'seconds': seconds, 'device': device}, args.out)


def save_weights(path, encoders, seconds, device):
    arrays = {f'{name}/{k}': v.numpy() for name, (e, _) in encoders.items() for k, v in e.state_dict().items()}
    np.savez_compressed(path, __meta__=json.dumps({'train_seconds': seconds, 'train_device': device}), **arrays)


def load_weights(path, encoders):
    saved = np.load(path)
    for name, (encoder, _) in encoders.items():
        encoder.load_state_dict({k: torch.from_numpy(saved[f'{name}/{k}']) for k in encoder.state_dict()})
    meta = json.loads(str(saved['__meta__']))
    return meta['train_seconds'], meta['train_device']


def finish(sets, encoders, training, out):
    os.makedirs(os.path.join(out, 'data'), exist_ok=True)
    for name, (encoder, recipe) in encoders.items():
        export(encoder, os.path.join(out, name), recipe)
    x = {k: as_tensor(v[1]) for k, v in sets.items()}
    enc = {name: e for name, (e, _) in encoders.items()}
    gaps = {}
    for arch in ('cnn', 'vit'):
        f, g = enc[f'ssl-{arch}-f.onnx'], enc[f'ssl-{arch}-g.onnx']
        gaps[arch] = {s: alignment_gap(f, g, x[s], NORM, GAP_VIEWS, SEED) for s in ('candidates', 'independent')}
    downstream = {s: (x[s], torch.from_numpy(sets[s][2].astype(np.int64))) for s in ('train', 'test')}
    probes = {name: linear_probe(e, downstream['train'], downstream['test'], NORM) for name, e in enc.items()}
    metrics = {'alignment_gap': gaps, 'linear_probe_accuracy': probes, 'train_seconds': training['seconds'],
               'train_device': training['device'], 'gap_views': GAP_VIEWS, 'seed': SEED}
    print(json.dumps(metrics, indent=2))
    write_data(sets, out)
    write_json(os.path.join(out, 'metrics.json'), metrics)
    write_json(os.path.join(out, 'project.memlens.json'), project_file())
    write_reference_embeddings(enc, x['candidates'], out)
    write_readme(os.path.join(out, 'README.md'), config(), metrics)
    cnn = gaps['cnn']['candidates']
    if cnn['gap'] < GAP_MIN_SE * cnn['gap_standard_error'] or cnn['gap'] <= gaps['cnn']['independent']['gap']:
        print(f"FAIL: candidates' alignment gap {cnn['gap']:.4f} (standard error {cnn['gap_standard_error']:.4f}) "
              'is not clearly positive', file=sys.stderr)
        return 1
    return 0


def config():
    return {'seed': SEED, 'gap_min_se': GAP_MIN_SE, 'sizes': SIZES, 'normalization': NORM,
            'cnn_widths': CNN_WIDTHS, 'vit': VIT,
            'simclr_cnn': SIMCLR_CNN, 'simclr_vit': SIMCLR_VIT, 'supervised': SUPERVISED, 'augment': AUGMENT}


def write_json(path, doc):
    with open(path, 'w') as f:
        json.dump(doc, f, indent=2)
        f.write('\n')


def write_data(sets, out):
    """candidates/control/train/test as Fashion-MNIST-style IDX; split.json maps file order to original indices.
    The shared set S_S is written as the control: both f and g trained on it, so compare's SSLMem gap
    (candidates minus control) separates memorization from damage that raises every distance."""
    files = {'candidates': 'candidates', 'shared': 'control', 'train': 'train', 'test': 'test'}
    for key, stem in files.items():
        write_idx(os.path.join(out, 'data', f'{stem}-images-idx3-ubyte.gz'), sets[key][1])
        write_idx(os.path.join(out, 'data', f'{stem}-labels-idx1-ubyte.gz'), sets[key][2])
    counts = lambda labels: np.bincount(labels, minlength=10).tolist()  # noqa: E731
    write_json(os.path.join(out, 'split.json'), {
        'seed': SEED,
        'source': {'train': 'fashion-mnist/train-images-idx3-ubyte.gz', 'test': 'fashion-mnist/t10k-images-idx3-ubyte.gz'},
        'sets': {k: {'source': 'train' if k in ('shared', 'candidates', 'independent') else 'test',
                     'file': f'data/{files[k]}-images-idx3-ubyte.gz' if k in files else None,
                     'count': len(v[0]), 'classCounts': counts(v[2]), 'indices': v[0].tolist()}
                 for k, v in sets.items()},
    })


def project_file():
    return {
        'schema': 'memlens.project/1',
        'name': 'Fashion-MNIST demo (ResNet9 + ViT, SimCLR)',
        'model': 'ssl-cnn-f.onnx',
        'reference': 'ssl-cnn-g.onnx',
        'supervised': 'sl-cnn.onnx',
        'data': {'candidates': 'data/candidates-images-idx3-ubyte.gz', 'control': 'data/control-images-idx3-ubyte.gz',
                 'train': 'data/train-images-idx3-ubyte.gz', 'test': 'data/test-images-idx3-ubyte.gz'},
        'normalization': NORM,
        'augment': AUGMENT,
        'models': [
            {'name': 'ResNet9 SimCLR (f)', 'path': 'ssl-cnn-f.onnx', 'role': 'target'},
            {'name': 'ResNet9 SimCLR (g)', 'path': 'ssl-cnn-g.onnx', 'role': 'reference'},
            {'name': 'ResNet9 supervised', 'path': 'sl-cnn.onnx', 'role': 'supervised'},
            {'name': 'ViT SimCLR (f)', 'path': 'ssl-vit-f.onnx', 'role': 'target'},
            {'name': 'ViT SimCLR (g)', 'path': 'ssl-vit-g.onnx', 'role': 'reference'},
        ],
    }


def write_reference_embeddings(encoders, candidates, out):
    """PyTorch's embeddings of the first candidates: the demo test checks onnxruntime reproduces them."""
    write_json(os.path.join(out, 'reference-embeddings.json'), {
        'about': 'scripts/make-demo-models.py: PyTorch embeddings of data/candidates images 0..%d' % (REFERENCE_POINTS - 1),
        'normalization': NORM,
        'embeddings': {name: [[round(v, 6) for v in row] for row in embed(e, candidates[:REFERENCE_POINTS], NORM).tolist()]
                       for name, e in encoders.items()},
    })


if __name__ == '__main__':
    started = time.time()
    code = main()
    print(f'total {time.time() - started:.0f}s')
    sys.exit(code)
