// docs/METRICS.md facts on the demo encoders (issue 4, "Done when"), through the CLI as a user runs it.
// The thresholds were fixed before looking at the demo numbers; a fact that fails is reported, not
// loosened. Two facts do NOT hold on the demo encoders (resources/demo, 800-epoch SimCLR on 750
// Fashion-MNIST images); their three tests keep the assertion unchanged and are marked `it.fails`,
// so they turn red the day the facts start to hold (e.g. new demo models) and someone must look again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    for (let i = 0; i < order.length;) {
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
let top: number[]; // candidate indices, most memorized first
let bottom: number[];
let unitTop: UnitMemResult;
let unitBottom: UnitMemResult;
let subsets: string;

/** 10% of the 250 candidates: the paper's most- vs least-memorized comparison. */
const K = 25;

/** Writes the candidates at `indices` as an IDX images file (no labels: UnitMem needs none). */
function writeSubset(name: string, indices: number[]): string {
  const idx = gunzipSync(readFileSync(CANDIDATES));
  const plane = idx.readUInt32BE(8) * idx.readUInt32BE(12);
  const out = Buffer.alloc(16 + indices.length * plane);
  idx.copy(out, 0, 0, 16);
  out.writeUInt32BE(indices.length, 4);
  indices.forEach((s, j) => idx.copy(out, 16 + j * plane, 16 + s * plane, 16 + (s + 1) * plane));
  const path = join(subsets, `${name}-images-idx3-ubyte`);
  writeFileSync(path, out);
  return path;
}

beforeAll(() => {
  process.env.MEMLENS_NO_CACHE = '1'; // measure, do not replay an earlier run
  unitMean = json(['unitmem', F, '--data', CANDIDATES, '--rest', 'mean']);
  unitMedian = json(['unitmem', F, '--data', CANDIDATES, '--rest', 'median']);
  layer = json(['layermem', '--model', F, '--reference', G, '--data', CANDIDATES]);
  // SSLMem at the last row (the embedding, after global average pooling) ranks the candidates.
  const ranking = layer.layers[layer.layers.length - 1].sslmem;
  const order = ranking
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);
  top = order.slice(0, K);
  bottom = order.slice(-K);
  subsets = mkdtempSync(join(tmpdir(), 'memlens-facts-'));
  unitTop = json(['unitmem', F, '--data', writeSubset('top', top), '--rest', 'mean']);
  unitBottom = json(['unitmem', F, '--data', writeSubset('bottom', bottom), '--rest', 'mean']);
}, 600_000);

afterAll(() => rmSync(subsets, { recursive: true, force: true }));

describe('docs/METRICS.md facts on the demo SSL CNN', () => {
  it('LayerMem rises from the first to the last conv layer', () => {
    const convs = layer.layers.filter((l) => l.kind === 'conv');
    expect(convs.length).toBeGreaterThan(2);
    expect(convs[convs.length - 1].layermem).toBeGreaterThan(convs[0].layermem);
  });

  // Measured (seed 0, 5 views; 10 views and seed 1 agree within 0.001): /res1/Add -0.0066 and
  // /res2/Add -0.0086 against a largest conv delta of 0.0188. The add mixes the memorizing branch
  // with the skip path, and its LayerMem falls below the branch's (0.0088 -> 0.0022, 0.0306 -> 0.0221).
  // The previous row is the branch's output: one of the add's two inputs, computed just before it,
  // and with it the deltas of all rows sum to the last row's LayerMem. Comparing with the block's
  // input instead (the skip path; the paper's delta when its rows are whole blocks) would count the
  // block's convs twice, and fails too (seeds 0-2): /res1/Add -0.0010 to -0.0020, /res2/Add +0.0245
  // to +0.0275 (the skip input, the max-pool, has LayerMem -0.0025).
  it.fails('DeltaLayerMem at residual adds is near 0 (under a quarter of the largest conv delta)', () => {
    const adds = layer.layers.filter((l) => l.kind === 'residual-add');
    const convDelta = Math.max(...layer.layers.filter((l) => l.kind === 'conv').map((l) => Math.abs(l.delta)));
    expect(adds.length).toBeGreaterThan(0);
    for (const a of adds) expect(Math.abs(a.delta)).toBeLessThan(0.25 * convDelta);
  });

  // Measured (seed 0), top/bottom mean SSLMem per conv layer: -0.0023/-0.0001, 0.0016/0.0015,
  // 0.0101/0.0045, 0.0057/0.0092, 0.0083/0.0032, 0.0162/0.0140, 0.0288/-0.0003, 0.0992/-0.0302.
  // Far higher in the last residual block only, none at the first two layers, reversed at
  // /res1/block2 in 7 of 8 runs (view seeds 0-3; compared on the ranking's views and on fresh ones).
  // On fresh views the top points stay far higher at the res2 convs and the embedding (0.114 vs
  // 0.021), so the ranking is not view noise alone.
  it.fails('the top-10% SSLMem points have a higher LayerMem than the bottom 10% at every conv layer', () => {
    // Ranked at the embedding, compared at the conv rows (at the ranking row it holds by construction).
    const convs = layer.layers.filter((l) => l.kind === 'conv');
    for (const l of convs) {
      expect(meanOf(top.map((i) => l.sslmem[i]))).toBeGreaterThan(meanOf(bottom.map((i) => l.sslmem[i])));
    }
  });

  // Measured (seed 0): top 0.469 vs bottom 0.465 over all units; per layer within 0.025 either way
  // (last layer 0.706/0.698). Other view seeds (ranking/UnitMem 0/1, 1/1, 2/2, 3/3): 0.470/0.465,
  // 0.462/0.469, 0.466/0.459, 0.470/0.477: no relation to SSLMem. The earlier per-point definition (mean UnitMem of the units
  // whose argmax a point is) gave 0.339/0.377, with the sign flipping across seeds as well.
  it.fails('UnitMem over the top-10% SSLMem points is at least 1.1x UnitMem over the bottom 10%', () => {
    // The paper's protocol: D' restricted to each set (same size), mean UnitMem over all units.
    expect(unitTop.samples.length).toBe(K);
    expect(unitBottom.samples.length).toBe(K);
    const overall = (r: UnitMemResult) => meanOf(r.layers.flatMap((l) => l.unitmem));
    expect(overall(unitTop)).toBeGreaterThanOrEqual(1.1 * overall(unitBottom));
  });

  it('mean and median rest variants correlate (Spearman > 0.8 over all units)', () => {
    const a = unitMean.layers.flatMap((l) => l.unitmem);
    const b = unitMedian.layers.flatMap((l) => l.unitmem);
    expect(a.length).toBe(b.length);
    expect(spearman(a, b)).toBeGreaterThan(0.8);
  });
});
