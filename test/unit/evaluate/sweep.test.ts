import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparePoint, UnitMemResult } from '../../../src/shared/api.js';
import { compareCsv } from '../../../src/main/engine/evaluate/csv.js';
import { summarize } from '../../../src/main/engine/evaluate/summary.js';
import { compare, meanKeptUnitMem } from '../../../src/main/engine/evaluate/sweep.js';
import { STRATEGY_NAMES } from '../../../src/shared/strategies.js';

const CNN = new URL('../../fixtures/onnx/cnn-opset13.onnx', import.meta.url).pathname;
// The demo project's Fashion-MNIST downstream split (resources/demo/README.md).
const DEMO_DATA = new URL('../../../resources/demo/data/', import.meta.url).pathname;
const TRAIN = join(DEMO_DATA, 'train-images-idx3-ubyte.gz');
const TEST = join(DEMO_DATA, 'test-images-idx3-ubyte.gz');

const point = (strategy: ComparePoint['strategy'], seed: number, accuracy: number): ComparePoint => ({
  strategy, scope: 'layer', ratio: 0.1, seed, accuracy, meanUnitMem: 0.5, params: 100, flops: 1000, latencyMs: 1,
});

describe('sweep figures', () => {
  it('mean UnitMem counts only kept units, weighted per unit', () => {
    const scores = { layers: [{ name: 'a', unitmem: [0.1, 0.2, 0.9] }, { name: 'b', unitmem: [0.4] }] } as unknown as UnitMemResult;
    expect(meanKeptUnitMem(scores, {})).toBeCloseTo((0.1 + 0.2 + 0.9 + 0.4) / 4, 12);
    // Removing the 0.9 unit of layer a: (0.1 + 0.2 + 0.4) / 3.
    expect(meanKeptUnitMem(scores, { a: [2] })).toBeCloseTo(0.7 / 3, 12);
  });

  it('summarizes random seeds as mean and sample std', () => {
    const rows = summarize([point('none', 0, 0.8), point('random', 0, 0.5), point('random', 1, 0.6), point('random', 2, 0.7)]);
    expect(rows.map((r) => [r.strategy, r.runs])).toEqual([['none', 1], ['random', 3]]);
    expect(rows[1].accuracy).toBeCloseTo(0.6, 12);
    // std of 0.5, 0.6, 0.7 with n - 1: sqrt((0.01 + 0 + 0.01) / 2) = 0.1
    expect(rows[1].accuracyStd).toBeCloseTo(0.1, 12);
    expect(rows[0].accuracyStd).toBe(0);
  });
});

describe('compare', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memlens-compare-'));
    model = join(dir, 'cnn.onnx');
    await copyFile(CNN, model);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the grid and writes compare.json, compare.csv and an offline report', async () => {
    const out = join(dir, 'out');
    const r = await compare({
      model, data: TEST, train: TRAIN, test: TEST, limit: 120, views: 1,
      strategies: ['high', 'random'], ratios: [0.25], scopes: ['layer', 'global'], seeds: [0, 1, 2], out,
    });
    // none + 2 cells x (high + 3 random seeds)
    expect(r.points).toHaveLength(1 + 2 * 4);
    expect(r.points[0]).toMatchObject({ strategy: 'none', ratio: 0 });
    const none = r.points[0];
    for (const p of r.points.slice(1)) {
      // Units of the output layer are masked, not cut (the embedding keeps its size), so a global
      // selection may leave the parameter count unchanged; per-layer always cuts some conv units.
      if (p.scope === 'layer') expect(p.params).toBeLessThan(none.params);
      else expect(p.params).toBeLessThanOrEqual(none.params);
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.latencyMs).toBeGreaterThan(0);
    }
    // Pruning the highest-UnitMem units leaves units with a lower mean UnitMem than before.
    const high = r.points.filter((p) => p.strategy === 'high');
    for (const p of high) expect(p.meanUnitMem).toBeLessThan(none.meanUnitMem);
    expect(new Set(r.points.filter((p) => p.strategy === 'random').map((p) => p.seed))).toEqual(new Set([0, 1, 2]));

    const json = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8'));
    expect(json.schema).toBe('memlens.compare/1');
    expect(json.points).toEqual(r.points);
    const csv = (await readFile(join(out, 'compare.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('strategy,scope,ratio,seed,accuracy,meanUnitMem,layerMem,params,flops,latencyMs');
    expect(csv).toHaveLength(1 + r.points.length);
    expect(csv[1].split(',')[4]).toBe(String(none.accuracy));
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(2);
    // Offline: nothing fetched (no scripts, no external links or images).
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('refuses bad strategies, ratios and seeds before any work', async () => {
    const base = { model, data: TEST, train: TRAIN, test: TEST, ratios: [0.1] };
    await expect(compare({ ...base, strategies: ['best' as 'high'] })).rejects.toThrow(`strategies must be some of ${STRATEGY_NAMES.join(', ')}; got best`);
    await expect(compare({ ...base, strategies: ['high'], ratios: [1.5] })).rejects.toThrow(/ratios must be in \(0, 1\), got 1.5/);
    await expect(compare({ ...base, strategies: ['random'], seeds: [0.5] })).rejects.toThrow(/seeds must be integers/);
  });

  it('writes a CSV row per point in column order, layerMem empty without a reference', () => {
    const points = [point('low', 3, 0.25), { ...point('high', 0, 0.5), layerMem: -0.125 }];
    const csv = compareCsv({ schema: 'memlens.compare/1', model: { path: 'm', sha256: 'x' }, settings: {}, points });
    expect(csv).toBe('strategy,scope,ratio,seed,accuracy,meanUnitMem,layerMem,params,flops,latencyMs\nlow,layer,0.1,3,0.25,0.5,,100,1000,1\nhigh,layer,0.1,0,0.5,0.5,-0.125,100,1000,1\n');
  });
});
