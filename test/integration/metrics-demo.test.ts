// METRICS.md facts on the demo encoders (issue 4, "Done when"), through the CLI as a user runs it.
// The thresholds were fixed before looking at the demo numbers; a fact that fails is reported, not
// loosened. Two facts do NOT hold on the demo encoders (resources/demo, 800-epoch SimCLR on 750
// Fashion-MNIST images); their tests keep the assertion unchanged and are marked `it.fails`, so
// they turn red the day the facts start to hold (e.g. new demo models) and someone must look again.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerMemResult, UnitMemResult } from '../../src/shared/api.js';
import { DEMO, memlens } from '../support/cli.js';

const F = join(DEMO, 'ssl-cnn-f.onnx');
const G = join(DEMO, 'ssl-cnn-g.onnx');
const CANDIDATES = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');

function json<T>(args: string[]): T {
  const r = memlens([...args, '--json']);
  if (r.code !== 0) throw new Error(`memlens ${args[0]} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Spearman rank correlation (average ranks for ties). */
function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const m = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  ra.forEach((x, i) => {
    num += (x - m) * (rb[i] - m);
    da += (x - m) ** 2;
    db += (rb[i] - m) ** 2;
  });
  return num / Math.sqrt(da * db);
}

const meanOf = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

let unitMean: UnitMemResult;
let unitMedian: UnitMemResult;
let layer: LayerMemResult;

beforeAll(() => {
  process.env.MEMLENS_NO_CACHE = '1'; // measure, do not replay an earlier run
  unitMean = json(['unitmem', F, '--data', CANDIDATES, '--rest', 'mean']);
  unitMedian = json(['unitmem', F, '--data', CANDIDATES, '--rest', 'median']);
  layer = json(['layermem', '--model', F, '--reference', G, '--data', CANDIDATES]);
}, 600_000);

describe('METRICS.md facts on the demo SSL CNN', () => {
  it('LayerMem rises from the first to the last conv layer', () => {
    const convs = layer.layers.filter((l) => l.kind === 'conv');
    expect(convs.length).toBeGreaterThan(2);
    expect(convs[convs.length - 1].layermem).toBeGreaterThan(convs[0].layermem);
  });

  // Measured (seed 0, 5 views; 10 views and seed 1 agree within 0.001): /res1/Add -0.0066 and
  // /res2/Add -0.0086 against a largest conv delta of 0.0188. The add mixes the memorizing branch
  // with the skip path, and its LayerMem falls below the branch's (0.0088 -> 0.0022, 0.0306 -> 0.0221).
  it.fails('DeltaLayerMem at residual adds is near 0 (under a quarter of the largest conv delta)', () => {
    const adds = layer.layers.filter((l) => l.kind === 'residual-add');
    const convDelta = Math.max(...layer.layers.filter((l) => l.kind === 'conv').map((l) => Math.abs(l.delta)));
    expect(adds.length).toBeGreaterThan(0);
    for (const a of adds) expect(Math.abs(a.delta)).toBeLessThan(0.25 * convDelta);
  });

  // Measured: top 0.339 vs bottom 0.377 (seed 0). Across view seeds the sign flips (0.306/0.404,
  // 0.368/0.331, 0.334/0.466): on the demo encoders this per-point UnitMem shows no relation to SSLMem.
  it.fails('the top-10% SSLMem points have a higher mean UnitMem than the bottom 10%', () => {
    // UnitMem of a point: mean UnitMem of the units (all layers) whose argmax it is, 0 when none.
    const n = unitMean.samples.length;
    const sum = new Array<number>(n).fill(0);
    const cnt = new Array<number>(n).fill(0);
    for (const l of unitMean.layers) {
      l.argmaxSample.forEach((s, u) => {
        sum[s] += l.unitmem[u];
        cnt[s]++;
      });
    }
    const pointUnitMem = sum.map((s, i) => (cnt[i] ? s / cnt[i] : 0));
    const last = layer.layers[layer.layers.length - 1].sslmem;
    expect(layer.samples).toEqual(unitMean.samples);
    const order = last.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    const k = Math.max(1, Math.round(n / 10));
    const top = meanOf(order.slice(0, k).map((i) => pointUnitMem[i]));
    const bottom = meanOf(order.slice(-k).map((i) => pointUnitMem[i]));
    expect(top).toBeGreaterThan(bottom);
  });

  it('mean and median rest variants correlate (Spearman > 0.8 over all units)', () => {
    const a = unitMean.layers.flatMap((l) => l.unitmem);
    const b = unitMedian.layers.flatMap((l) => l.unitmem);
    expect(a.length).toBe(b.length);
    expect(spearman(a, b)).toBeGreaterThan(0.8);
  });
});
