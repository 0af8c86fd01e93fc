// compare on the demo encoders: memlens.compare/2 with every field, memorization measured on the
// pruned encoders (checked against the metric jobs run on their own), intervals and tests.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../../src/shared/api.js';
import { compareCsv } from '../../../src/shared/compare-csv.js';
import { compare } from '../../../src/main/engine/evaluate/sweep.js';
import { computeLayerMem } from '../../../src/main/engine/metrics/layermem-job.js';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import { STRATEGY_NAMES } from '../../../src/shared/strategies.js';

const DEMO = new URL('../../../resources/demo/', import.meta.url).pathname;
const data = (name: string) => join(DEMO, 'data', `${name}-images-idx3-ubyte.gz`);
// The demo project's normalization (the copies have no project file beside them); small sets.
const settings = { mean: [0.286], std: [0.353], views: 2, limit: 100 };

let dir: string;
let r: CompareResult;
const f = () => join(dir, 'f.onnx');
const g = () => join(dir, 'g.onnx');
const base = () => ({ model: f(), data: data('candidates'), train: data('train'), test: data('test'), ...settings });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-compare-'));
  await copyFile(join(DEMO, 'ssl-cnn-f.onnx'), f());
  await copyFile(join(DEMO, 'ssl-cnn-g.onnx'), g());
  r = await compare({
    ...base(),
    reference: g(),
    control: data('control'),
    strategies: ['high', 'random'],
    ratios: [0.2],
    seeds: [0, 1],
    out: join(dir, 'out'),
  });
}, 600_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('compare with a reference and a control set', () => {
  it('writes memlens.compare/2 with every field, intervals around their means', async () => {
    expect(r.schema).toBe('memlens.compare/2');
    expect(r.points.map((p) => [p.strategy, p.scope, p.ratio, p.seeds])).toEqual([
      ['none', 'layer', 0, [0]],
      ['high', 'layer', 0.2, [0]],
      ['random', 'layer', 0.2, [0, 1]],
    ]);
    for (const p of r.points) {
      const [lo, hi] = p.accuracy.ci95!;
      expect(lo).toBeLessThanOrEqual(p.accuracy.mean);
      expect(p.accuracy.mean).toBeLessThanOrEqual(hi);
      expect(hi - lo).toBeGreaterThan(0);
      expect(p.accuracy.perSeed).toHaveLength(p.seeds.length);
      expect(p.accuracy.mean).toBeCloseTo(p.accuracy.perSeed.reduce((a, b) => a + b, 0) / p.seeds.length, 12);
      const ssl = p.memorization.sslmem!;
      expect(ssl.gap).toBeCloseTo(ssl.candidates - ssl.control, 12);
      expect(ssl.ci95![0]).toBeLessThanOrEqual(ssl.gap);
      expect(ssl.gap).toBeLessThanOrEqual(ssl.ci95![1]);
      expect(p.memorization.unitmem.measured).toBe(true);
      expect(p.memorization.unitmem.layers!.length).toBe(8);
      for (const l of p.memorization.unitmem.layers!) {
        const [min, q1, med, q3, max] = l.quartiles;
        expect(min <= q1 && q1 <= med && med <= q3 && q3 <= max && min <= l.mean && l.mean <= max).toBe(true);
      }
      for (const k of ['params', 'flops', 'latencyMs'] as const) expect(p[k]).toBeGreaterThan(0);
    }
    // Per layer 20% cuts units: the pruned encoders are smaller and their UnitMem layers narrower.
    expect(r.points[1].params).toBeLessThan(r.points[0].params);
    expect(r.points[1].memorization.unitmem.layers![0].units).toBeLessThan(
      r.points[0].memorization.unitmem.layers![0].units,
    );
    expect(r.tests.map((t) => [t.a, t.b, t.scope, t.ratio, t.metric])).toEqual([
      ['high', 'random', 'layer', 0.2, 'accuracy'],
      ['high', 'random', 'layer', 0.2, 'sslmemGap'],
    ]);
    for (const t of r.tests) {
      expect(t.pValue).toBeGreaterThan(0);
      expect(t.pValue).toBeLessThanOrEqual(1);
      expect(t.verdict).toBe(t.pValue < 0.05 ? (t.difference > 0 ? 'higher' : 'lower') : 'not significant');
    }
    // The accuracy test's difference is high's accuracy minus random's mean over seeds.
    expect(r.tests[0].difference).toBeCloseTo(r.points[1].accuracy.mean - r.points[2].accuracy.mean, 12);
    expect(r.settings).toMatchObject({
      probe: 'linear',
      views: 2,
      seeds: [0, 1],
      bootstrap: { resamples: 2000, seed: 0 },
    });
    expect(JSON.parse(await readFile(join(dir, 'out', 'compare.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('SSLMem of the unpruned encoder is computeLayerMem of its last row, on the candidates and on the control set', async () => {
    const layermem = async (set: string) => {
      const full = await computeLayerMem({ model: f(), reference: g(), data: data(set), ...settings });
      return full.layers[full.layers.length - 1].layermem;
    };
    const none = r.points[0].memorization.sslmem!;
    expect(none.candidates).toBeCloseTo(await layermem('candidates'), 10);
    expect(none.control).toBeCloseTo(await layermem('control'), 10);
  });

  it('re-measures UnitMem on each pruned encoder: computeUnitMem of the exported model, over its live units', async () => {
    const pruned = await computeUnitMem({
      model: join(dir, 'out', 'models', 'high-layer-0.2-seed0.onnx'),
      data: data('candidates'),
      ...settings,
    });
    const live = pruned.layers.flatMap((l) => l.unitmem.filter((_, u) => l.muMax[u] !== 0));
    const high = r.points[1].memorization.unitmem;
    expect(high.mean).toBeCloseTo(live.reduce((a, b) => a + b, 0) / live.length, 12);
    expect(high.layers!.map((l) => l.units)).toEqual(pruned.layers.map((l) => l.muMax.filter((m) => m !== 0).length));
  });

  it('writes the CSV and an offline report with error bars', async () => {
    const csv = (await readFile(join(dir, 'out', 'compare.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(1 + r.points.length);
    expect(csv[3].split(',').slice(0, 5)).toEqual(['random', 'layer', '0.2', '0;1', String(r.points[2].accuracy.mean)]);
    const html = await readFile(join(dir, 'out', 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(2);
    // One bar per point on each chart: 3 points on the scatter, none + 2 per line on the fraction chart.
    expect(html.match(/class="error-bar"/g)).toHaveLength(3 + 4);
    expect(html).toContain('SSLMem gap, candidates minus control (measured)');
    // Offline: nothing fetched (no scripts, no external links or images).
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});

describe('compare refuses', () => {
  it('a reference without a control set, in one line, before any work', async () => {
    await expect(compare({ ...base(), reference: g(), strategies: ['high'], ratios: [0.1] })).rejects.toThrow(
      /^the SSLMem gap needs a control set, points f and the reference both trained on: give --control D \(or data\.control in the project\)$/,
    );
  });

  it('bad strategies, ratios and seeds before any work', async () => {
    const b = { ...base(), ratios: [0.1] };
    await expect(compare({ ...b, strategies: ['best' as 'high'] })).rejects.toThrow(
      `strategies must be some of ${STRATEGY_NAMES.join(', ')}; got best`,
    );
    await expect(compare({ ...b, strategies: ['high'], ratios: [1.5] })).rejects.toThrow(
      /^pruning ratios must be in \(0, 1\), got 1.5$/,
    );
    await expect(compare({ ...b, strategies: ['random'], seeds: [0.5] })).rejects.toThrow(
      /^seeds must be integers, got 0.5$/,
    );
  });
});

describe('compare.csv', () => {
  it('writes a row per point in column order, empty cells where there is no interval, SSLMem or fine-tuned model', () => {
    const point = {
      strategy: 'low' as const,
      scope: 'layer' as const,
      ratio: 0.1,
      seeds: [3],
      params: 100,
      flops: 1000,
      latencyMs: 1,
    };
    const csv = compareCsv({
      points: [
        {
          ...point,
          accuracy: { mean: 0.25, ci95: null, perSeed: [0.25] },
          memorization: { unitmem: { mean: 0.5, measured: false } },
        },
        {
          ...point,
          seeds: [0, 1],
          accuracy: { mean: 0.5, ci95: [0.25, 0.75], perSeed: [0.5, 0.5] },
          memorization: {
            unitmem: { mean: 0.5, measured: true },
            sslmem: { candidates: 0.125, control: 0, gap: 0.125, ci95: [0, 0.25] },
          },
        },
        {
          ...point,
          strategy: 'finetuned',
          ratio: 0,
          accuracy: { mean: 0.75, ci95: [0.5, 1], perSeed: [0.75] },
          memorization: { unitmem: { mean: 0.5, measured: true } },
          finetuned: { path: '/runs/a,b.onnx', sha256: 'ab', layers: ['conv'] },
        },
      ],
    });
    expect(csv).toBe(
      'strategy,scope,ratio,seeds,accuracy,accuracyLow,accuracyHigh,unitmem,unitmemMeasured,sslmemCandidates,sslmemControl,sslmemGap,gapLow,gapHigh,params,flops,latencyMs,finetuned\n' +
        'low,layer,0.1,3,0.25,,,0.5,false,,,,,,100,1000,1,\n' +
        'low,layer,0.1,0;1,0.5,0.25,0.75,0.5,true,0.125,0,0.125,0,0.25,100,1000,1,\n' +
        'finetuned,layer,0,3,0.75,0.5,1,0.5,true,,,,,,100,1000,1,"/runs/a,b.onnx"\n',
    );
  });
});
