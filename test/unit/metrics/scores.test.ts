import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClassMeanAccumulator } from '../../../src/main/engine/metrics/classmem.js';
import { layerMemRows, viewDistances } from '../../../src/main/engine/metrics/layermem.js';
import { MeanSpill, spilledMedians } from '../../../src/main/engine/metrics/spill.js';
import { UnitStats, viewMeans } from '../../../src/main/engine/metrics/unitmem.js';

/** UnitStats over view rows [samples * views, units], folded in batches of `split` samples; median rests from a spill. */
function unitStats(rows: Float32Array, units: number, views: number, k: number, split = Infinity) {
  const samples = rows.length / (units * views);
  const stats = new UnitStats(units, k);
  const dir = mkdtempSync(join(tmpdir(), 'memlens-scores-'));
  const spill = new MeanSpill(dir, [units]);
  for (let s = 0; s < samples; s += split) {
    const end = Math.min(samples, s + split);
    const mu = viewMeans(rows.subarray(s * views * units, end * views * units), units, views);
    stats.addMeans(mu, s);
    spill.append(0, mu);
  }
  spill.close();
  // a tiny budget: one unit per chunk, so the chunked column reads are exercised
  const medians = spilledMedians([{ dir, rows: samples }], 0, units, stats.argmax, 8 * samples);
  rmSync(dir, { recursive: true });
  return { stats, mean: stats.scores(), median: stats.scores(medians) };
}

describe('UnitMem statistics', () => {
  // 3 samples x 2 views x 2 units. View means, by hand:
  // unit 0: s0 (1+3)/2=2, s1 (0+0)/2=0, s2 (4+2)/2=3 -> max 3 (s2); rest mean (2+0)/2=1 -> (3-1)/(3+1)=0.5
  //         rest median of {2,0} = 1 -> same 0.5
  // unit 1: s0 6, s1 1, s2 2 -> max 6 (s0); rest mean 1.5 -> 4.5/7.5=0.6; median of {1,2}=1.5 -> 0.6
  const rows = new Float32Array([1, 6, 3, 6, 0, 1, 0, 1, 4, 2, 2, 2]);

  it('view means, max, argmax, rest (mean) and UnitMem match a hand computation, folded in any batches', () => {
    for (const split of [1, 2, 3]) {
      const s = unitStats(rows, 2, 2, 1, split).mean;
      expect(s.muMax).toEqual([3, 6]);
      expect(s.argmaxSample).toEqual([2, 0]);
      expect(s.muRest).toEqual([1, 1.5]);
      expect(s.unitmem[0]).toBeCloseTo(0.5, 12);
      expect(s.unitmem[1]).toBeCloseTo(0.6, 12);
      expect(s.signed).toBe(false);
    }
  });

  it('median rest differs from the mean where the others are skewed', () => {
    // one unit, 4 samples with view means 10, 1, 2, 6 -> rest {1,2,6}: mean 3, median 2
    const r = unitStats(new Float32Array([10, 1, 2, 6]), 1, 1, 1);
    expect(r.mean.unitmem[0]).toBeCloseTo(7 / 13, 12);
    expect(r.median.unitmem[0]).toBeCloseTo(8 / 12, 12);
    // an even count of others: median is the mean of the two middle values (numpy)
    expect(unitStats(new Float32Array([10, 1, 2, 6, 4]), 1, 1, 1).median.muRest[0]).toBe(3);
  });

  it('a dead unit scores 0 and negative activations set `signed`', () => {
    const s = unitStats(new Float32Array([0, -1, 0, 3]), 2, 1, 1).mean;
    expect(s.unitmem[0]).toBe(0);
    expect(s.unitmem[1]).toBeCloseTo((3 - -1) / (3 + -1), 12);
    expect(s.signed).toBe(true);
  });

  it('merging the statistics of consecutive slices equals folding them all, ties to the lower index', () => {
    // 6 samples x 1 view x 2 units; unit 1 ties at 5 across the slice boundary
    const v = new Float32Array([1, 0, 4, 5, 2, 5, 4, 5, 3, 7, 9, 5]);
    const whole = unitStats(v, 2, 1, 3).stats;
    const [a, b] = [new UnitStats(2, 3), new UnitStats(2, 3)];
    a.addMeans(viewMeans(v.subarray(0, 4), 2, 1), 0); // samples 0-1
    b.addMeans(viewMeans(v.subarray(4), 2, 1), 2); // samples 2-5
    a.merge(b);
    expect(a.scores()).toEqual(whole.scores());
    expect(a.scores().top).toEqual([
      [5, 1, 3],
      [4, 1, 2],
    ]);
  });
});

describe('UnitMem top samples', () => {
  it('orders the k highest view means per unit, ties by lower index, first = argmax', () => {
    // 5 samples x 1 view x 2 units.
    // unit 0 means: 1, 4, 2, 4, 3 -> order 4(s1), 4(s3), 3(s4), 2(s2), 1(s0); top 3 = [1, 3, 4]
    // unit 1 means: 0, 5, 5, 5, 7 -> 7(s4), then the three 5s in index order; top 3 = [4, 1, 2]
    const s = unitStats(new Float32Array([1, 0, 4, 5, 2, 5, 4, 5, 3, 7]), 2, 1, 3).mean;
    expect(s.top).toEqual([
      [1, 3, 4],
      [4, 1, 2],
    ]);
    expect(s.topMu).toEqual([
      [4, 4, 3],
      [7, 5, 5],
    ]);
    expect(s.top.map((t) => t[0])).toEqual(s.argmaxSample);
  });

  it('keeps every sample when k exceeds the count, and handles a late maximum', () => {
    const v = new Float32Array([2, 2, 9, 1]);
    expect(unitStats(v, 1, 1, 10).mean.top).toEqual([[2, 0, 1, 3]]);
    expect(unitStats(v, 1, 1, 1).mean.top).toEqual([[2]]);
    expect(unitStats(v, 1, 1, 2, 1).mean.top).toEqual([[2, 0]]);
  });
});

describe('ClassMem accumulator', () => {
  it('contrasts class means, the rest being the mean of the other present classes', () => {
    // unit 0: class 0 {2,4} -> 3, class 1 {1} -> 1, class 2 {0,2} -> 1; class 3 absent
    //   max 3 (class 0), rest 1 -> 0.5
    const acc = new ClassMeanAccumulator(4, 1);
    acc.add(new Float32Array([2, 1, 4, 0, 2]), [0, 1, 0, 2, 2]);
    const s = acc.scores();
    expect(s.argmaxClass).toEqual([0]);
    expect(s.classmem[0]).toBeCloseTo(0.5, 12);
  });
});

describe('LayerMem from Gram matrices', () => {
  // three views as 2-D vectors a=(2,0), b=(0,3), c=(1,1); normalized: (1,0), (0,1), (.7071,.7071)
  // d(a,b)=sqrt2, d(a,c)=d(b,c)=sqrt(2-sqrt2)
  const vecs = [
    [2, 0],
    [0, 3],
    [1, 1],
  ];
  const gram = new Float32Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) gram[i * 3 + j] = vecs[i][0] * vecs[j][0] + vecs[i][1] * vecs[j][1];
  const dab = Math.SQRT2;
  const dac = Math.sqrt(2 - Math.SQRT2);

  it("'views' pairing averages all distinct pairs; 'anchor' averages view 0 to the others", () => {
    expect(viewDistances(gram, 3, 'views')[0]).toBeCloseTo((dab + 2 * dac) / 3, 6);
    expect(viewDistances(gram, 3, 'anchor')[0]).toBeCloseTo((dab + dac) / 2, 6);
  });

  it('a zero representation is the zero vector (distance 1 to a unit vector)', () => {
    const g = new Float32Array([0, 0, 0, 4]); // views 0 and (0,2)
    expect(viewDistances(g, 2, 'views')[0]).toBeCloseTo(1, 6);
  });

  it("norm 'paper' is (g-f)/(f+g) per point, 'range' divides by max-min of g-f; delta is vs the previous row", () => {
    const l1 = { sslF: [0.2, 0.5], sslG: [0.6, 0.5] }; // paper: 0.5, 0 -> 0.25 ; range: diffs .4, 0 -> 1, 0 -> 0.5
    const l2 = { sslF: [0.1, 0.3], sslG: [0.3, 0.6] }; // paper: .5, 1/3 -> 5/12 ; range: diffs .2,.3 -> 2, 3 -> 2.5
    const paper = layerMemRows([l1, l2], 'paper');
    expect(paper[0].sslmem[0]).toBeCloseTo(0.5, 12);
    expect(paper[0].layermem).toBeCloseTo(0.25, 12);
    expect(paper[1].layermem).toBeCloseTo(5 / 12, 12);
    expect(paper[1].delta).toBeCloseTo(5 / 12 - 0.25, 12);
    const range = layerMemRows([l1, l2], 'range');
    expect(range[0].layermem).toBeCloseTo(0.5, 12);
    expect(range[1].sslmem[0]).toBeCloseTo(2, 9);
    expect(range[1].layermem).toBeCloseTo(2.5, 9);
    expect(range[0].delta).toBeCloseTo(0.5, 12);
  });
});
