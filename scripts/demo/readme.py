"""resources/demo/README.md, written from the factory's own settings and measurements (never by hand)."""

MODELS = [
    ('ssl-cnn-f.onnx', 'ResNet9', 'SimCLR on S_S + S_C', 'target f: MemLens measures its memorization'),
    ('ssl-cnn-g.onnx', 'ResNet9', 'SimCLR on S_S + S_I', 'reference g for LayerMem (never saw S_C)'),
    ('sl-cnn.onnx', 'ResNet9', 'cross-entropy on S_S + S_C', 'supervised baseline (ClassMem vs UnitMem)'),
    ('ssl-vit-f.onnx', 'ViT', 'SimCLR on S_S + S_C', 'target f, transformer'),
    ('ssl-vit-g.onnx', 'ViT', 'SimCLR on S_S + S_I', 'reference g, transformer'),
]


def _recipe(cfg):
    return (f"{cfg['epochs']} epochs, batch {cfg['batch']}, AdamW lr {cfg['lr']} (cosine to 0), "
            f"weight decay {cfg['weight_decay']}")


FIGURES_BEGIN = '<!-- memlens figures: written by node scripts/demo-figures.js -->'
FIGURES_END = '<!-- end of memlens figures -->'


def _memlens_figures(path):
    """The section scripts/demo-figures.js writes from the CLI's output: kept as it is, or left to fill."""
    try:
        with open(path) as f:
            old = f.read()
        start, end = old.index(FIGURES_BEGIN), old.index(FIGURES_END)
        return old[start:end + len(FIGURES_END)]
    except (OSError, ValueError):
        return f"{FIGURES_BEGIN}\n(run `npm run build:cli && node scripts/demo-figures.js` to fill)\n{FIGURES_END}"


def write_readme(path, config, metrics):
    s, n, aug = config['sizes'], config['normalization'], config['augment']
    gaps, probes, secs = metrics['alignment_gap'], metrics['linear_probe_accuracy'], metrics['train_seconds']
    rows = [f"| `{f}` | {arch} | {how} | {probes[f] * 100:.1f}% | {secs[f]:.0f} s | {role} |" for f, arch, how, role in MODELS]
    gap_rows = [
        f"| {arch.upper()} | {which} | {g['ssl_f']:.4f} | {g['ssl_g']:.4f} | **{g['gap']:+.4f}** ± {g['gap_standard_error']:.4f} | "
        f"{g['gap_normalized']:+.4f} | "
        f"{g['positive_fraction'] * 100:.0f}% |"
        for arch, per_set in gaps.items() for which, g in per_set.items()
    ]
    widths = '/'.join(str(w) for w in config['cnn_widths'])
    vit = config['vit']
    text = f"""# MemLens demo project

Real encoders on real data, small enough to ship: Fashion-MNIST (Debian's `dataset-fashion-mnist`), five
encoders exported to ONNX (opset 17, input `input` [batch, 1, 28, 28], output `embedding` [batch, D]).
Everything here is written by `/usr/bin/python3 scripts/make-demo-models.py` (ONNX export by Debian's
PyTorch 1.13), this file included but for its "What MemLens prints" section (`node scripts/demo-figures.js`).
Open `project.memlens.json` (the app's default project) or run `npx memlens demo`.

## Data and split (seed {config['seed']}, indices in `split.json`)
From the original train file (60000 images), disjoint and drawn at random:
shared set S_S = {s['shared']}, candidates S_C = {s['candidates']}, independent set S_I = {s['independent']}.
From the original test file: a labelled downstream split, train {s['train']} / test {s['test']} (linear probes).
Files in `data/` use Fashion-MNIST's IDX format: `candidates-*` (S_C), `control-*` (S_S, the control set of `memlens compare`), `train-*`, `test-*`, each
`*-images-idx3-ubyte.gz` with its `*-labels-idx1-ubyte.gz`. A sample's id is its index in the file;
`split.json` maps it to the original index and records each set's class counts.
Input normalization (pixels scaled to [0, 1] first): mean {n['mean'][0]}, std {n['std'][0]}.

## Encoders
| file | architecture | trained with | linear probe | train time | role |
|---|---|---|---|---|---|
{chr(10).join(rows)}

- ResNet9 (the paper's block structure, narrowed): prep conv-BN-ReLU, layer1 conv-BN-ReLU + max-pool, res1
  (two conv-BN-ReLU + residual add), layer2 + pool, layer3 + pool, res2 (two conv-BN-ReLU + add), global
  average pool; widths {widths}; embedding {config['cnn_widths'][-1]}. BatchNorm is folded into the convs
  by the exporter (eval mode).
- ViT: patch 4 (49 tokens + CLS), dim {vit['dim']}, {vit['depth']} pre-norm blocks, {vit['heads']} heads,
  MLP ratio {vit['mlp_ratio']}, GELU, fused qkv Linear; embedding = CLS token after the final LayerNorm.
- SimCLR: NT-Xent, temperature {config['simclr_cnn']['temperature']}, projection head Linear-ReLU-Linear
  (dropped at export). ResNet9: {_recipe(config['simclr_cnn'])}. ViT: {_recipe(config['simclr_vit'])}.
  Supervised: linear classifier on the embedding, cross-entropy, same views, {_recipe(config['supervised'])}.
  f and g share seed {config['seed']}: same initial weights, same batch order and views, different data.
- Views (`augment` in the project file): random resized crop, scale {aug['cropScale']}, aspect ratio
  3/4..4/3; horizontal flip p={aug['flipP']}; with p={aug['jitterP']} brightness ±{aug['jitter']['brightness']} then
  contrast ±{aug['jitter']['contrast']} (torchvision's formulas). Grayscale images: no saturation, hue or
  grayscale step.
- Linear probe: logistic regression (scikit-learn, standardized frozen embeddings of the un-augmented
  downstream train images), accuracy on the downstream test images.

## Does f memorize its candidates? (the check the factory runs before shipping)
For each point, {metrics['gap_views']} seeded views; SSL_h = mean cosine distance between the embeddings of all
pairs of distinct views under encoder h; gap = SSL_g - SSL_f (both encoders on the same views), averaged
over the set; normalized = (SSL_g - SSL_f) / (SSL_g + SSL_f) per point, averaged (docs/METRICS.md LayerMem's normalization at
the last layer, on another distance: see "What MemLens prints" below). f trained on the candidates, g did not: the factory refuses to finish unless the ResNet9
gap on S_C is at least {config['gap_min_se']} standard errors (±, over points) above 0 and above the gap on S_I.
S_I (which g saw and f did not) is the control: by symmetry its gap should be about the negative.

| encoders | set | SSL_f | SSL_g | gap ± s.e. | normalized | points with gap > 0 |
|---|---|---|---|---|---|---|
{chr(10).join(gap_rows)}

`metrics.json` holds these figures; `reference-embeddings.json` holds PyTorch's embeddings of the first
candidates under each model, which the integration test checks onnxruntime reproduces.

{_memlens_figures(path)}

## UnitMem's activation policy on these encoders
`memlens unitmem` reads units as non-negative firing rates by default (`--activation rate`, docs/UNITS.md).
ResNet9's units are all read after their own ReLU, so its UnitMem is the same under `rate` and `raw`. The ViT's
units are all signed (GELU, the residual stream), so `rate` reads their positive part: its UnitMem changed
when the policy came in (all 250 candidates, 10 views, mean UnitMem per layer): under `raw` it ranged from
-3.50 to 1.64 per layer with single units up to 307.9; under `rate` every unit lies in [0, 1], layer means 0.29-0.65.
`--activation raw` gives the old numbers.

## Reproduce
Training time: {sum(secs.values()) / 60:.1f} min in all, on {metrics['train_device']}. The two CPU cores of the
build machine were shared by a team, so the weights were trained on a GPU box and exported here:
```
python3 scripts/make-demo-models.py --device cuda --source DIR --save-weights weights.npz   # GPU box
/usr/bin/python3 scripts/make-demo-models.py --weights weights.npz                         # here: export, measure, write
```
Without those options the same script trains on the CPU; measured there at 15-30 s per ResNet9 epoch on the
shared cores, i.e. hours for this recipe.
"""
    with open(path, 'w') as f:
        f.write(text)
