// The comparison's bootstrap against cases whose bootstrap distribution is known in closed form.
import { describe, expect, it } from 'vitest';
import { comparePoints, compareTests, type Run } from '../../../src/main/engine/evaluate/aggregate.js';
import { bootstrap, pairedRows, quantile, verdict } from '../../../src/main/engine/evaluate/stats.js';

const many = { resamples: 20000, seed: 7 };

describe('bootstrap', () => {
  it('matches the exact distribution of a resampled mean of [0, 0, 0, 1]', () => {
    // The resampled mean is Binomial(4, 1/4) / 4: P(0) = 81/256 = 0.316, P(<= 0.5) = 243/256 = 0.949,
    // P(<= 0.75) = 255/256 = 0.996. So the 2.5% quantile is 0 and the 97.5% one is 0.75; the mean
    // is 0 in 81/256 of the replicates, so p = 2 * 81/256 = 0.633 (the upper tail is all of them).
    const e = bootstrap([[0, 0, 0, 1]], undefined, many);
    expect(e.estimate).toBe(0.25);
    expect(e.ci95).toEqual([0, 0.75]);
    expect(e.pValue).toBeCloseTo((2 * 81) / 256, 1);
  });

  it('gives the paired p-value of differences [1, 1, 1, 0]: the mean is 0 only when all four draws are 0', () => {
    // P(mean <= 0) = (1/4)^4 = 1/256; p = 2/256 = 0.0078.
    const d = pairedRows([[1, 1, 1, 0]], [[0, 0, 0, 0]]);
    const e = bootstrap(d, undefined, many);
    expect(e.estimate).toBe(0.75);
    expect(e.pValue).toBeGreaterThan(0.004);
    expect(e.pValue).toBeLessThan(0.012);
    expect(verdict(e)).toBe('higher');
    expect(verdict({ ...e, estimate: -0.75 })).toBe('lower');
    expect(verdict({ ...e, pValue: 0.05 })).toBe('not significant');
  });

  it('a difference of two independent samples: [1, 1] minus [0, 0] is exactly 1 in every replicate', () => {
    const e = bootstrap([[1, 1]], [[0, 0]], { resamples: 100, seed: 0 });
    expect(e).toEqual({ estimate: 1, ci95: [1, 1], pValue: 2 / 101 });
  });

  it('resamples rows (seeds) too: two constant rows 0 and 1 give replicates 0, 0.5 and 1 at 1/4, 1/2, 1/4', () => {
    const e = bootstrap(
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
      undefined,
      many,
    );
    expect(e.estimate).toBe(0.5);
    expect(e.ci95).toEqual([0, 1]);
    // Replicates at 0 have probability 1/4: p = 2 * 1/4.
    expect(e.pValue).toBeCloseTo(0.5, 1);
  });

  it('is reproducible for a seed and refuses empty or ragged samples', () => {
    const x = [[0.1, 0.5, 0.2, 0.9, 0.3]];
    expect(bootstrap(x, undefined)).toEqual(bootstrap(x, undefined));
    expect(() => bootstrap([[]], undefined)).toThrow('bootstrap needs at least one first value');
    expect(() => bootstrap([[1, 2], [1]], undefined)).toThrow('bootstrap first rows differ in length');
  });

  it('quantile interpolates between order statistics like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
  });
});

describe('points and tests from runs', () => {
  const run = (strategy: Run['strategy'], seed: number, correct: number[], gap: number): Run => ({
    strategy,
    scope: 'layer',
    ratio: strategy === 'none' || strategy === 'finetuned' ? 0 : 0.1,
    seed,
    correct: Uint8Array.from(correct),
    memorization: { unitmem: [{ name: 'a', scores: [0.2, 0.4] }], sslmem: { candidates: [gap, gap], control: [0, 0] } },
    params: 10,
    flops: 20,
    latencyMs: 1,
  });

  it('pools seeds into one point and tests each strategy against random on the same items', () => {
    const runs = [
      run('none', 0, [1, 1, 1, 1], 0.3),
      run('high', 0, [0, 0, 0, 0], 0.1),
      run('random', 0, [1, 1, 1, 0], 0.2),
      run('random', 1, [1, 1, 0, 1], 0.2),
    ];
    const points = comparePoints(runs, { resamples: 500, seed: 0 });
    expect(points.map((p) => [p.strategy, p.seeds])).toEqual([
      ['none', [0]],
      ['high', [0]],
      ['random', [0, 1]],
    ]);
    const random = points[2];
    expect(random.accuracy.perSeed).toEqual([0.75, 0.75]);
    expect(random.accuracy.mean).toBe(0.75);
    expect(random.memorization.unitmem).toMatchObject({ mean: 0.30000000000000004, measured: true });
    expect(random.memorization.unitmem.layers).toEqual([
      { name: 'a', units: 2, mean: 0.30000000000000004, quartiles: [0.2, 0.2, 0.30000000000000004, 0.4, 0.4] },
    ]);
    expect(random.memorization.sslmem).toMatchObject({ candidates: 0.2, control: 0, gap: 0.2 });
    for (const p of points) {
      expect(p.accuracy.ci95![0]).toBeLessThanOrEqual(p.accuracy.mean);
      expect(p.accuracy.mean).toBeLessThanOrEqual(p.accuracy.ci95![1]);
    }
    const tests = compareTests(runs, { resamples: 500, seed: 0 });
    expect(tests.map((t) => [t.a, t.b, t.metric, t.difference, t.verdict])).toEqual([
      // high is wrong on all 4 images, random right on 3 of 4 per seed: -0.75.
      ['high', 'random', 'accuracy', -0.75, 'lower'],
      // A gap of 0.1 against 0.2 on every point of every seed: -0.1 in every replicate.
      ['high', 'random', 'sslmemGap', -0.1, 'lower'],
    ]);
  });

  it('keeps each fine-tuned encoder a point of its own and tests it against none', () => {
    const tuned = (path: string, correct: number[], gap: number): Run => ({
      ...run('finetuned', 0, correct, gap),
      finetuned: { path, sha256: path, layers: ['conv'] },
    });
    const runs = [
      run('none', 0, [1, 0, 1, 0], 0.375),
      tuned('/a.onnx', [1, 1, 1, 1], 0.125),
      tuned('/b.onnx', [1, 0, 1, 0], 0.375),
      run('high', 0, [0, 0, 0, 0], 0.1),
    ];
    const points = comparePoints(runs, { resamples: 500, seed: 0 });
    expect(points.map((p) => [p.strategy, p.finetuned?.path, p.accuracy.mean])).toEqual([
      ['none', undefined, 0.5],
      ['finetuned', '/a.onnx', 1],
      ['finetuned', '/b.onnx', 0.5],
      ['high', undefined, 0],
    ]);
    // No random in the sweep: high is not tested; each fine-tuned encoder against none on the same items.
    const tests = compareTests(runs, { resamples: 500, seed: 0 });
    expect(tests.map((t) => [t.a, t.b, t.finetuned, t.metric, t.difference, t.verdict])).toEqual([
      // /a is right on the two images none gets wrong: +0.5, but 2 of 4 paired items differ.
      ['finetuned', 'none', '/a.onnx', 'accuracy', 0.5, tests[0].verdict],
      ['finetuned', 'none', '/a.onnx', 'sslmemGap', -0.25, 'lower'],
      // /b classifies every image as none does: a difference of 0 in every replicate.
      ['finetuned', 'none', '/b.onnx', 'accuracy', 0, 'not significant'],
      ['finetuned', 'none', '/b.onnx', 'sslmemGap', 0, 'not significant'],
    ]);
    expect(tests[0].ci95[0]).toBeLessThanOrEqual(0.5);
    expect(tests[0].ci95[1]).toBe(1);
  });
});
