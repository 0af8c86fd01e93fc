// The metric jobs end to end (data -> views -> tapped onnxruntime session -> accumulators) on tiny
// 1x1-conv encoders whose activations are known in closed form, against hand-computed values.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeClassMem } from '../../../src/main/engine/metrics/classmem-job.js';
import { computeLayerMem } from '../../../src/main/engine/metrics/layermem-job.js';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import { writeConvModel, writeGray } from '../infer/tiny-models.js';

let dir: string;
const uniform = (v: number) => [v, v, v, v];
// pixel value / 255: 51 -> 0.2, 102 -> 0.4, 153 -> 0.6, 204 -> 0.8, 255 -> 1
const VIEW_PIXELS = [
  [255, 153, 51], // sample a: view means 1, .6, .2 -> mu .6
  [0, 51, 102], //   sample b: 0, .2, .4 -> .2
  [51, 51, 51], //   sample c: .2
  [255, 255, 102], // sample d: 1, 1, .4 -> .8
];
const plain = { mean: [0], std: [1], augment: 'none' as const };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-jobs-'));
  // unit 0: relu(p) = p; unit 1: relu(1 - p)
  await writeConvModel(join(dir, 'enc.onnx'), [1, -1], [0, 1], { relu: true });
  for (const [s, views] of VIEW_PIXELS.entries()) {
    for (const [v, p] of views.entries()) await writeGray(join(dir, 'views', `s${s}`, `v${v}.png`), uniform(p));
  }
  const classes = { a: [255, 153], b: [51], c: [102, 51] };
  for (const [c, ps] of Object.entries(classes)) {
    for (const [k, p] of ps.entries()) await writeGray(join(dir, 'classes', c, `${k}.png`), uniform(p));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('computeUnitMem on given views', () => {
  it('rest = mean: unit 0 mu = .6 .2 .2 .8, unit 1 mu = .4 .8 .8 .2', async () => {
    // views default to all the given ones (3)
    const r = await computeUnitMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'views'), ...plain });
    expect(r.settings.views).toBe(3);
    expect(r.samples).toEqual(['s0', 's1', 's2', 's3']);
    const [layer] = r.layers;
    expect(layer.units).toBe(2);
    expect(layer.argmaxSample).toEqual([3, 1]);
    expect(layer.muMax[0]).toBeCloseTo(0.8, 6);
    expect(layer.muRest[0]).toBeCloseTo(1 / 3, 6); // (.6 + .2 + .2) / 3
    expect(layer.unitmem[0]).toBeCloseTo((0.8 - 1 / 3) / (0.8 + 1 / 3), 6);
    expect(layer.muRest[1]).toBeCloseTo(1.4 / 3, 6); // (.4 + .8 + .2) / 3
    expect(layer.unitmem[1]).toBeCloseTo((0.8 - 1.4 / 3) / (0.8 + 1.4 / 3), 6);
    expect(layer.signed).toBe(false);
  });

  it('top samples: the default 5 capped at 4 samples, unit 0 highest first (.8 s3, .6 s0); top 0 is refused', async () => {
    const r = await computeUnitMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'views'), ...plain });
    expect(r.settings.top).toBe(5);
    const [layer] = r.layers;
    expect(layer.top!.map((t) => t.length)).toEqual([4, 4]);
    expect(layer.top![0].slice(0, 2)).toEqual([3, 0]);
    expect(layer.topMu![0][0]).toBeCloseTo(0.8, 6);
    expect(layer.topMu![0][1]).toBeCloseTo(0.6, 6);
    expect(layer.topMu![1][3]).toBeCloseTo(0.2, 6); // unit 1's lowest: s3, 1 - .8
    expect(layer.top![1][3]).toBe(3);
    await expect(
      computeUnitMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'views'), top: 0, ...plain }),
    ).rejects.toThrow(/top must be a positive integer, got 0/);
  });

  it('rest = median: unit 0 rest = median(.6,.2,.2) = .2, unit 1 rest = median(.4,.8,.2) = .4', async () => {
    const r = await computeUnitMem({
      model: join(dir, 'enc.onnx'),
      data: join(dir, 'views'),
      views: 3,
      rest: 'median',
      ...plain,
    });
    const [layer] = r.layers;
    expect(layer.unitmem[0]).toBeCloseTo(0.6 / 1.0, 6);
    expect(layer.unitmem[1]).toBeCloseTo(0.4 / 1.2, 6);
    expect(r.settings).toMatchObject({ rest: 'median', views: 3 });
  });
});

describe('computeClassMem', () => {
  it('class means a .8, b .2, c .3 (unit 0) and .2, .8, .7 (unit 1)', async () => {
    const r = await computeClassMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'classes'), mean: [0], std: [1] });
    expect(r.classes).toEqual(['a', 'b', 'c']);
    const [layer] = r.layers;
    expect(layer.argmaxClass).toEqual([0, 1]);
    expect(layer.classmem[0]).toBeCloseTo((0.8 - 0.25) / (0.8 + 0.25), 6);
    expect(layer.classmem[1]).toBeCloseTo((0.8 - 0.45) / (0.8 + 0.45), 6);
  });
});

describe('computeLayerMem on given views', () => {
  // f: y = p (identity 1x1 conv), g: y = p + 0.5. Views of 2x2 images, not uniform so directions differ.
  const views = [
    [
      [255, 0, 0, 0],
      [0, 255, 0, 0],
      [255, 255, 0, 51],
    ],
    [
      [10, 20, 30, 40],
      [40, 30, 20, 10],
      [0, 0, 255, 255],
    ],
    [
      [200, 0, 0, 200],
      [0, 200, 200, 0],
      [100, 100, 100, 100],
    ],
    [
      [5, 250, 5, 250],
      [250, 5, 250, 5],
      [128, 0, 0, 0],
    ],
  ];
  /** Direct computation: normalize each view's representation, L2 distances, mean over pairs. */
  function ssl(bias: number, pairs: [number, number][]): number[] {
    return views.map((vs) => {
      const reps = vs.map((px) => {
        const r = px.map((p) => p / 255 + bias);
        const n = Math.hypot(...r);
        return r.map((x) => x / n);
      });
      const d = pairs.map(([i, j]) => Math.hypot(...reps[i].map((x, k) => x - reps[j][k])));
      return d.reduce((a, b) => a + b, 0) / d.length;
    });
  }
  const allPairs: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  const anchorPairs: [number, number][] = [
    [0, 1],
    [0, 2],
  ];
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

  beforeAll(async () => {
    await writeConvModel(join(dir, 'f.onnx'), [1], [0]);
    await writeConvModel(join(dir, 'g.onnx'), [1], [0.5]);
    await writeConvModel(join(dir, 'wide.onnx'), [1, 1], [0, 0]);
    for (const [s, vs] of views.entries()) {
      for (const [v, px] of vs.entries()) await writeGray(join(dir, 'lviews', `s${s}`, `v${v}.png`), px);
    }
  });

  const run = (pairing: 'views' | 'anchor', norm: 'paper' | 'range') =>
    computeLayerMem({
      model: join(dir, 'f.onnx'),
      reference: join(dir, 'g.onnx'),
      data: join(dir, 'lviews'),
      pairing,
      norm,
      ...plain,
    });

  for (const pairing of ['views', 'anchor'] as const) {
    const pairs = pairing === 'views' ? allPairs : anchorPairs;
    it(`pairing ${pairing}, norm paper: per point (g - f) / (f + g)`, async () => {
      const f = ssl(0, pairs);
      const g = ssl(0.5, pairs);
      const want = f.map((x, i) => (g[i] - x) / (g[i] + x));
      const r = await run(pairing, 'paper');
      // views default to the given ones: 3, of which the first is the anchor with 'anchor'
      expect(r.settings.views).toBe(pairing === 'views' ? 3 : 2);
      expect(r.layers).toHaveLength(1);
      r.layers[0].sslmem.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
      expect(r.layers[0].layermem).toBeCloseTo(mean(want), 4);
      expect(r.layers[0].delta).toBeCloseTo(mean(want), 4);
    });
    it(`pairing ${pairing}, norm range: (g - f) / (max - min of g - f)`, async () => {
      const f = ssl(0, pairs);
      const g = ssl(0.5, pairs);
      const diff = f.map((x, i) => g[i] - x);
      const range = Math.max(...diff) - Math.min(...diff);
      const r = await run(pairing, 'range');
      r.layers[0].sslmem.forEach((v, i) => expect(v).toBeCloseTo(diff[i] / range, 3));
      expect(r.layers[0].layermem).toBeCloseTo(mean(diff) / range, 3);
    });
  }

  it('a reference with another architecture is a one-line MISMATCH error', async () => {
    await expect(
      computeLayerMem({
        model: join(dir, 'f.onnx'),
        reference: join(dir, 'wide.onnx'),
        data: join(dir, 'lviews'),
        views: 3,
        ...plain,
      }),
    ).rejects.toThrow(
      /reference .*wide\.onnx has a different architecture than .*f\.onnx: layer 1 is conv .*2 units.* vs .*1 units/,
    );
  });
});

describe('bad input', () => {
  it('a size the model cannot take names the model and both sizes', async () => {
    await expect(
      computeUnitMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'views'), views: 3, ...plain, size: [4, 4] }),
    ).rejects.toThrow(/--size 4x4 does not fit .*enc\.onnx, whose input is fixed at 2x2/);
  });
  it('a model that cannot take the images names the model and the image size', async () => {
    await writeConvModel(join(dir, 'fc.onnx'), [1], [0], { size: 'dynamic', gemmFor2x2: true });
    await expect(
      computeUnitMem({ model: join(dir, 'fc.onnx'), data: join(dir, 'views'), views: 3, ...plain, size: [3, 3] }),
    ).rejects.toThrow(/fc\.onnx cannot take 1x3x3 images: /);
    // the same model at the size its head was made for runs
    const ok = await computeUnitMem({
      model: join(dir, 'fc.onnx'),
      data: join(dir, 'views'),
      views: 3,
      ...plain,
      size: [2, 2],
    });
    expect(ok.layers.map((l) => l.kind)).toEqual(['conv', 'linear']);
  });
  it('a dynamic input size needs --size', async () => {
    await writeConvModel(join(dir, 'dyn.onnx'), [1], [0], { size: 'dynamic' });
    await expect(
      computeUnitMem({ model: join(dir, 'dyn.onnx'), data: join(dir, 'views'), views: 3, ...plain }),
    ).rejects.toThrow(/dyn\.onnx: input x \[\?, 1, \?, \?\] has a dynamic image size; pass --size HxW/);
  });
  it('unlabelled data for classmem', async () => {
    await expect(
      computeClassMem({ model: join(dir, 'enc.onnx'), data: join(dir, 'views'), mean: [0], std: [1] }),
    ).rejects.toThrow(/classmem needs labelled data/);
  });
});
