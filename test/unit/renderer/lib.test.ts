import { describe, expect, it } from 'vitest';
import type { ComparePoint, LayerMemResult, PruneResult, UnitMemResult } from '../../../src/shared/api.js';
import {
  accuracySeries,
  finetuneRunLabel,
  chartOption,
  memorizationSeries,
  savedSweepLabel,
} from '../../../src/renderer/src/lib/compare.js';
import { BASELINE_COLOR, FINETUNED_COLOR, STRATEGIES } from '../../../src/shared/strategies.js';
import { exportPaths } from '../../../src/renderer/src/lib/exports.js';
import { autoChoice, rankLayers } from '../../../src/renderer/src/lib/finetune.js';
import { parseNumbers, parseRatios } from '../../../src/renderer/src/lib/form.js';
import { layerAxis, layerRows, unitMemBoxes } from '../../../src/renderer/src/lib/layers.js';
import { excludedLayers, previewRows, prunedModelPath } from '../../../src/renderer/src/lib/prune.js';
import { settingsLine } from '../../../src/renderer/src/lib/settings.js';
import { filterUnits, pageOf, sortUnits, unitRows } from '../../../src/renderer/src/lib/units.js';
import { shortLayerNames } from '../../../src/shared/layer-names.js';

const unitmem = {
  schema: 'memlens.unitmem/1',
  model: { path: '/m.onnx', sha256: 'x' },
  settings: {},
  samples: ['s0', 's1', 's2'],
  layers: [
    {
      name: 'conv1',
      op: 'Conv',
      kind: 'conv',
      tensor: 't1',
      units: 2,
      unitmem: [0.1, 0.5],
      muMax: [1, 2],
      muRest: [0.9, 1],
      argmaxSample: [2, 0],
      top: [
        [2, 0],
        [0, 2],
      ],
      topMu: [
        [1, 0.5],
        [2, 1.5],
      ],
    },
    {
      name: 'fc',
      op: 'Gemm',
      kind: 'linear',
      tensor: 't2',
      units: 3,
      unitmem: [0.3, 0.9, 0.6],
      muMax: [3, 4, 5],
      muRest: [1, 1, 1],
      argmaxSample: [1, 1, 0],
    },
  ],
} as UnitMemResult;

const point = (
  strategy: ComparePoint['strategy'],
  ratio: number,
  accuracy: number,
  gap = 0.02,
  ci95: [number, number] | null = [accuracy - 0.05, accuracy + 0.05],
): ComparePoint => ({
  strategy,
  scope: 'layer',
  ratio,
  seeds: [0],
  accuracy: { mean: accuracy, ci95, perSeed: [accuracy] },
  memorization: {
    unitmem: { mean: 0.4, measured: true },
    sslmem: { candidates: gap + 0.01, control: 0.01, gap, ci95: [gap - 0.01, gap + 0.01] },
  },
  params: 100,
  flops: 1000,
  latencyMs: 1.5,
});

describe('Layers screen logic', () => {
  it('joins LayerMem to UnitMem by layer name and averages UnitMem per layer', () => {
    const layermem = {
      layers: [
        { name: 'conv1', layermem: 0.2, delta: 0.2 },
        { name: 'add1', layermem: 0.25, delta: 0.05 },
        { name: 'fc', layermem: 0.4, delta: 0.15 },
      ],
    } as LayerMemResult;
    expect(layerRows(unitmem, layermem).map((r) => r.name)).toEqual(['conv1', 'fc', 'add1']);
    const rows = layerRows(unitmem, layermem, ['conv1', 'add1', 'fc']);
    expect(rows.map((r) => r.name)).toEqual(['conv1', 'add1', 'fc']);
    expect(rows[0].meanUnitMem).toBeCloseTo(0.3, 12); // (0.1 + 0.5) / 2
    expect(rows[2].meanUnitMem).toBeCloseTo(0.6, 12); // (0.3 + 0.9 + 0.6) / 3
    expect(rows[2]).toMatchObject({ layermem: 0.4, delta: 0.15 });
    expect(rows[1]).toMatchObject({ units: 0, layermem: 0.25, delta: 0.05 });
    expect(rows[1].meanUnitMem).toBeNaN();
  });

  it('box plot quartiles interpolate like numpy.percentile', () => {
    // numpy.percentile([0.3, 0.9, 0.6], [0, 25, 50, 75, 100]) = [0.3, 0.45, 0.6, 0.75, 0.9]
    const { boxes } = unitMemBoxes(unitmem);
    [0.3, 0.45, 0.6, 0.75, 0.9].forEach((v, i) => expect(boxes[1][i]).toBeCloseTo(v, 12));
  });

  it('a signed layer (activation raw) is marked and its box clipped to [0, 1]; its real numbers stay for the tooltip', () => {
    const raw = {
      ...unitmem,
      layers: [{ ...unitmem.layers[1], name: 'proj', signed: true, unitmem: [-3, 0.5, 49.4] }, unitmem.layers[0]],
    } as UnitMemResult;
    const { names, signed, boxes, five } = unitMemBoxes(raw);
    expect(names).toEqual(['proj', 'conv1']);
    expect(signed).toEqual([true, false]);
    // numpy.percentile([-3, 0.5, 49.4], [0, 25, 50, 75, 100]) = [-3, -1.25, 0.5, 24.95, 49.4]
    [-3, -1.25, 0.5, 24.95, 49.4].forEach((v, i) => expect(five[0][i]).toBeCloseTo(v, 12));
    expect(boxes[0]).toEqual([0, 0, 0.5, 1, 1]);
    expect(boxes[1]).toEqual(five[1]);
    const rows = layerRows(raw);
    expect(rows.map((r) => r.signed)).toEqual([true, false]);
    expect(
      unitRows(raw)
        .filter((r) => r.signed)
        .map((r) => r.layer),
    ).toEqual(['proj', 'proj', 'proj']);
  });
});

describe('Units screen logic', () => {
  it('lists every unit with the sample it memorizes and its top samples (argmax only without top-k)', () => {
    const rows = unitRows(unitmem);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      layer: 'conv1',
      unit: 0,
      unitmem: 0.1,
      muMax: 1,
      sample: 's2',
      top: [
        { sample: 's2', mu: 1 },
        { sample: 's0', mu: 0.5 },
      ],
    });
    expect(rows[1].top).toEqual([
      { sample: 's0', mu: 2 },
      { sample: 's2', mu: 1.5 },
    ]);
    // fc has no top/topMu (a score file from before top-k): the argmax with muMax stands alone
    expect(rows[4]).toEqual({
      layer: 'fc',
      unit: 2,
      unitmem: 0.6,
      muMax: 5,
      sample: 's0',
      top: [{ sample: 's0', mu: 5 }],
    });
  });

  it('sorts by value either way, by layer in forward order, and keeps missing ClassMem last', () => {
    const rows = unitRows(unitmem);
    const key = (rs: { layer: string; unit: number }[]) => rs.map((r) => `${r.layer}/${r.unit}`);
    expect(key(sortUnits(rows, 'unitmem', true, ['conv1', 'fc']))).toEqual([
      'fc/1',
      'fc/2',
      'conv1/1',
      'fc/0',
      'conv1/0',
    ]);
    expect(key(sortUnits(rows, 'unitmem', false, ['conv1', 'fc']))).toEqual([
      'conv1/0',
      'fc/0',
      'conv1/1',
      'fc/2',
      'fc/1',
    ]);
    expect(key(sortUnits(rows, 'layer', true, ['conv1', 'fc']))).toEqual([
      'fc/0',
      'fc/1',
      'fc/2',
      'conv1/0',
      'conv1/1',
    ]);
    const withClass = rows.map((r, i) => (i === 1 ? { ...r, classmem: 0.7 } : r));
    expect(key(sortUnits(withClass, 'classmem', false, ['conv1', 'fc']))[0]).toBe('conv1/1');
  });
});

describe('Prune screen logic', () => {
  it('shows selected, cut and masked units per layer and the cut fraction', () => {
    const preview = {
      removed: { fc: [0, 2] },
      layers: [{ name: 'fc', units: 3, selected: 2, cut: 1, masked: 1 }],
      params: { before: 200, after: 150 },
      flops: { before: 10, after: 10 },
    } as unknown as PruneResult;
    expect(previewRows(preview, unitmem.layers)).toEqual([
      { layer: 'conv1', units: 2, selected: 0, cut: 0, masked: 0, fraction: 0 },
      { layer: 'fc', units: 3, selected: 2, cut: 1, masked: 1, fraction: 1 / 3 },
    ]);
    expect(excludedLayers({ conv1: true, fc: false })).toEqual(['fc']);
  });

  it('suggests an export path that is never the source model', () => {
    expect(prunedModelPath('/d/enc.onnx', 'low', 0.2, 'layer')).toBe('/d/enc-low-20.onnx');
    expect(prunedModelPath('/d/enc.ONNX', 'random', 0.35, 'global')).toBe('/d/enc-random-35-global.onnx');
  });
});

describe('Compare screen logic', () => {
  const points = [
    point('none', 0, 0.8, 0.03),
    point('low', 0.2, 0.78),
    point('low', 0.1, 0.79),
    point('random', 0.1, 0.65, 0.02, [0.6, 0.7]),
    point('high', 0.1, 0.75, 0.01),
  ];

  it('draws one accuracy line per strategy from the unpruned baseline, in percent with its interval', () => {
    const series = accuracySeries(points);
    expect(series.map((s) => s.name)).toEqual(['low', 'random', 'high']);
    // Each line in its strategy's colour from the one list, the baseline in its own.
    expect(series.map((s) => s.color)).toEqual(
      ['low', 'random', 'high'].map((n) => STRATEGIES.find((s) => s.name === n)!.color),
    );
    expect(new Set(series.map((s) => s.color)).size).toBe(3);
    // [x, accuracy %, lower %, upper %]
    const rounded = series[0].data.map((d) => d.map((v) => Number(v.toFixed(6))));
    expect(rounded).toEqual([
      [0, 80, 75, 85],
      [0.1, 79, 74, 84],
      [0.2, 78, 73, 83],
    ]);
    expect(series[1].data[1].map((v) => Number(v.toFixed(6)))).toEqual([0.1, 65, 60, 70]);
  });

  it('plots accuracy against the measured SSLMem gap, the unpruned model on its own; without SSLMem, UnitMem', () => {
    const series = memorizationSeries(points);
    expect(
      series
        .find((s) => s.name === 'unpruned')!
        .data[0].slice(0, 2)
        .map((v) => Number(v.toFixed(6))),
    ).toEqual([0.03, 80]);
    expect(series.find((s) => s.name === 'unpruned')!.color).toBe(BASELINE_COLOR);
    expect(series.find((s) => s.name === 'high')!.data[0][0]).toBe(0.01);
    const noSsl = points.map((p) => ({ ...p, memorization: { unitmem: p.memorization.unitmem } }));
    expect(memorizationSeries(noSsl).find((s) => s.name === 'high')!.data[0][0]).toBe(0.4);
  });

  it('charts each series with error bars in its colour and accuracy on a 0-100 % axis', () => {
    const option = chartOption(accuracySeries(points), 'pruned fraction', true, true);
    expect(option.yAxis).toMatchObject({ min: 0, max: 100, name: 'accuracy (%)' });
    expect(option.series.map((s) => [s.name, s.type])).toEqual([
      ['low', 'line'],
      ['low', 'custom'],
      ['random', 'line'],
      ['random', 'custom'],
      ['high', 'line'],
      ['high', 'custom'],
    ]);
    const bars = option.series[1];
    expect(bars.encode).toEqual({ x: 0, y: [2, 3] });
    // The bar spans the interval: drawn between the coordinates of lower and upper.
    const coord = ([x, y]: number[]) => [10 * x, 200 - y];
    const d = bars.data[1];
    const group = (bars.renderItem as (a: unknown, api: unknown) => { children: { shape: Record<string, number> }[] })(
      null,
      {
        value: (i: number) => d[i],
        coord,
        style: () => ({}),
      },
    );
    const shape = group.children[0].shape;
    expect([shape.x1, shape.y1, shape.x2, shape.y2].map((v) => Number(v.toFixed(6)))).toEqual([
      1,
      200 - 84,
      1,
      200 - 74,
    ]);
  });

  it('puts a fine-tuned model on the memorization chart only, in its own colour', () => {
    const tuned = {
      ...point('finetuned', 0, 0.82, 0.025),
      finetuned: { path: '/p/f-tuned.onnx', sha256: 'a', layers: [] },
    };
    const all = [...points, tuned];
    expect(accuracySeries(all).map((s) => s.name)).toEqual(['low', 'random', 'high']);
    const f = memorizationSeries(all).find((s) => s.name === 'finetuned')!;
    expect(f.color).toBe(FINETUNED_COLOR);
    expect(f.data.map((d) => d.slice(0, 2).map((v) => Number(v.toFixed(6))))).toEqual([[0.025, 82]]);
  });

  it('lists a fine-tune run with what it trained, and why it cannot be compared', () => {
    const run = {
      path: '/p/f-tuned.finetune.json',
      model: '/p/f-tuned.onnx',
      created: '2026-12-02T14:05:06.000Z',
      layers: ['conv7', 'conv8'],
      epochs: 2,
      baseline: 0.5,
      finetuned: 0.625,
    };
    expect(finetuneRunLabel(run)).toBe(
      '2026-12-02 14:05:06 · f-tuned.onnx · layers conv7, conv8 · 2 epochs · head only 50.00%, fine-tuned 62.50%',
    );
    expect(finetuneRunLabel({ ...run, error: 'exported with its linear head (--head)' })).toMatch(
      / · cannot be compared: exported with its linear head \(--head\)$/,
    );
  });

  it('lists a kept sweep with when it ran and its settings', () => {
    expect(
      savedSweepLabel({
        path: '/p/.memlens-sweeps/x',
        created: '2026-12-02T14:05:06.000Z',
        strategies: ['high', 'random'],
        ratios: [0.1, 0.2],
        probe: 'linear',
        views: 10,
        seeds: [0, 1],
        reference: true,
      }),
    ).toBe('2026-12-02 14:05:06 · high, random at 10%, 20% · linear probe · 10 views · seeds 0, 1 · SSLMem gap');
    expect(
      savedSweepLabel({
        path: '/p/x',
        created: '2026-12-02T14:05:06.000Z',
        error: 'saved comparison /p/x/compare.json: tests must be a list',
      }),
    ).toBe('2026-12-02 14:05:06 · cannot be opened: saved comparison /p/x/compare.json: tests must be a list');
  });

  it('names export files from one base path', () => {
    expect(exportPaths('/tmp/sweep.png', 'png')).toEqual([
      '/tmp/sweep-accuracy-vs-ratio.png',
      '/tmp/sweep-accuracy-vs-unitmem.png',
    ]);
    expect(exportPaths('/tmp/sweep', 'csv')).toEqual(['/tmp/sweep.csv']);
    expect(() => exportPaths('', 'svg')).toThrow('choose where to save the export');
  });
});

describe('Fine-tune screen logic', () => {
  it('ranks trainable layers by DeltaLayerMem and pre-selects the top k (the engine auto choice)', () => {
    const lm = {
      layers: [
        { name: 'conv1', delta: 0.1, layermem: 0.1 },
        { name: 'add', delta: 0.5, layermem: 0.6 },
        { name: 'conv2', delta: 0.3, layermem: 0.4 },
        { name: 'fc', delta: 0.2, layermem: 0.6 },
      ],
    } as LayerMemResult;
    const ranked = rankLayers(lm, new Set(['conv1', 'conv2', 'fc']));
    expect(ranked.map((l) => l.name)).toEqual(['conv2', 'fc', 'conv1']);
    expect(autoChoice(ranked)).toEqual(['conv2', 'fc', 'conv1']);
    expect(autoChoice(ranked, 2)).toEqual(['conv2', 'fc']);
  });
});

describe('form parsing', () => {
  it('reads numbers and ratios in percent or fraction, naming the bad value', () => {
    expect(parseNumbers('0.2860, 0.5', 'mean')).toEqual([0.286, 0.5]);
    expect(() => parseNumbers('0.2, x', 'std')).toThrow("std: 'x' is not a number");
    expect(parseRatios('10, 20, 0.3')).toEqual([0.1, 0.2, 0.3]);
    expect(() => parseRatios('100')).toThrow('ratios: 100 is not a fraction');
  });
});

describe('Units screen filter and paging', () => {
  const rows = unitRows(unitmem);
  it('keeps one layer, or rows whose layer, short name, unit or sample contains the search text', () => {
    const key = (rs: { layer: string; unit: number }[]) => rs.map((r) => `${r.layer}/${r.unit}`);
    expect(key(filterUnits(rows, { layer: 'fc', query: '' }))).toEqual(['fc/0', 'fc/1', 'fc/2']);
    expect(key(filterUnits(rows, { layer: '', query: ' S2 ' }))).toEqual(['conv1/0']); // conv1 unit 0 memorizes s2
    expect(key(filterUnits(rows, { layer: '', query: 'stem' }, new Map([['conv1', 'stem.0']])))).toEqual([
      'conv1/0',
      'conv1/1',
    ]);
    expect(key(filterUnits(rows, { layer: 'conv1', query: 's0' }))).toEqual(['conv1/1']);
    expect(filterUnits(rows, { layer: '', query: '' })).toHaveLength(5);
  });

  it('pages of a fixed size, clamping a page past the end to the last one', () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    expect(pageOf(items, 0, 100)).toEqual({ rows: items.slice(0, 100), page: 0, pages: 3 });
    expect(pageOf(items, 2, 100).rows).toEqual(items.slice(200));
    expect(pageOf(items, 7, 100).page).toBe(2);
    expect(pageOf([], 3, 100)).toEqual({ rows: [], page: 0, pages: 1 });
  });
});

describe('short layer names', () => {
  it('the shortest unique tail of each ONNX path, without torch.onnx repeated module prefixes', () => {
    // The demo ResNet9's layers (resources/demo/ssl-cnn-f.onnx).
    const cnn = [
      '/prep/prep.0/Conv',
      '/layer1/layer1.0/Conv',
      '/layer1/layer1.3/MaxPool',
      '/res1/block1/block1.0/Conv',
      '/res1/Add',
      '/layer2/layer2.3/MaxPool',
      '/res2/block1/block1.0/Conv',
      '/res2/Add',
      '/pool/GlobalAveragePool',
    ];
    expect([...shortLayerNames(cnn).values()]).toEqual([
      'prep.0',
      'layer1.0',
      'layer1.3/MaxPool',
      'res1/block1.0',
      'res1/Add',
      'layer2.3/MaxPool',
      'res2/block1.0',
      'res2/Add',
      'pool/GlobalAveragePool',
    ]);
    // torchvision's ViT: attention's MatMul and Gemm share a module, so they keep their op (one block here).
    const vit = [
      '/conv_proj/Conv',
      '/encoder/layers/encoder_layer_0/self_attention/MatMul',
      '/encoder/layers/encoder_layer_0/self_attention/Gemm',
      '/encoder/layers/encoder_layer_0/mlp/mlp.0/MatMul',
      '/encoder/layers/encoder_layer_1/mlp/mlp.0/MatMul',
      '/heads/head/Gemm',
    ];
    expect([...shortLayerNames(vit).values()]).toEqual([
      'conv_proj',
      'self_attention/MatMul',
      'self_attention/Gemm',
      'encoder_layer_0/mlp.0',
      'encoder_layer_1/mlp.0',
      'head',
    ]);
    // Names that are not paths stay as they are.
    expect([...shortLayerNames(['conv1', 'fc']).values()]).toEqual(['conv1', 'fc']);
  });

  it('charts label the axis with short names and keep the full name as the category (the hover text)', () => {
    const names = ['/prep/prep.0/Conv', '/res1/Add'];
    const { xAxis } = layerAxis(names, shortLayerNames(names)) as {
      xAxis: { data: string[]; axisLabel: { rotate: number; formatter: (n: string) => string } };
    };
    expect(xAxis.data).toEqual(names);
    expect(names.map(xAxis.axisLabel.formatter)).toEqual(['prep.0', 'res1/Add']);
    expect(xAxis.axisLabel.rotate).toBe(0);
  });
});

describe('settings beside a figure', () => {
  it('names samples, views, pairing and the normalization with its source', () => {
    const doc = {
      samples: ['a', 'b', 'c'],
      settings: {
        views: 10,
        augment: { kind: 'simclr' },
        pairing: 'views',
        norm: 'paper',
        seed: 0,
        mean: [0.286],
        std: [0.353],
        normalizationFrom: 'request',
      },
    };
    expect(settingsLine(doc)).toBe(
      '3 samples × 10 views · augment simclr · pairing views · norm paper · seed 0 · normalization mean 0.286 std 0.353 (the project)',
    );
    const fallback = { settings: { mean: [0.5], std: [0.5], normalizationFrom: 'default' } };
    expect(settingsLine(fallback)).toBe(
      'normalization mean 0.5 std 0.5 (DEFAULT: none given and no project.memlens.json beside the model; pass the one the encoder was trained with)',
    );
  });
});
