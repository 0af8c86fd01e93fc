import { describe, expect, it } from 'vitest';
import { batches } from '../../../src/main/engine/data/batches.js';
import { permutation, Random, shuffle } from '../../../src/main/engine/data/random.js';

const draws = (r: Random, n: number) => Array.from({ length: n }, () => r.next());

describe('Random', () => {
  it('replays the same stream for the same keys and a different one for any other key', () => {
    const a = draws(new Random(42, 3, 1), 50);
    expect(draws(new Random(42, 3, 1), 50)).toEqual(a);
    for (const keys of [
      [42, 3, 2],
      [42, 1, 3],
      [43, 3, 1],
      [42, 3],
      [42 + 2 ** 32, 3, 1],
    ]) {
      expect(draws(new Random(...keys), 50)).not.toEqual(a);
    }
    const r = new Random(0);
    r.next();
    expect(draws(r.reseed(42, 3, 1), 50)).toEqual(a);
  });

  it('is uniform enough: mean, spread and bucket counts within 4 sigma over 100k draws', () => {
    const r = new Random(7);
    const n = 100_000;
    const buckets = new Array(10).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const v = r.next();
      if (!(v >= 0 && v < 1)) outside++;
      sum += v;
      buckets[Math.floor(v * 10)]++;
    }
    // mean of U(0,1): 0.5 with sd sqrt(1/12/n) ~ 0.0009; a bucket: 10000 with sd ~ 95.
    expect(outside).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.004);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(400);
  });

  it('gives integers in [0, n) and uniforms in [lo, hi)', () => {
    const r = new Random(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const k = r.int(6);
      expect(Number.isInteger(k) && k >= 0 && k < 6).toBe(true);
      seen.add(k);
      const u = r.uniform(-2, 3);
      expect(u >= -2 && u < 3).toBe(true);
    }
    expect(seen.size).toBe(6);
  });

  it('rejects non-finite keys', () => {
    expect(() => new Random(NaN)).toThrow('random key must be a finite number, got NaN');
  });
});

describe('shuffle and permutation', () => {
  it('permute without losing elements, deterministically per seed', () => {
    const p = permutation(100, new Random(5));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, new Random(5))).toEqual(p);
    expect(permutation(100, new Random(6))).not.toEqual(p);
    expect(shuffle(['a', 'b', 'c', 'd'], new Random(5)).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('puts each element at each position about equally often', () => {
    // 3 elements, 6000 shuffles: each (element, position) ~ 2000, sd ~ 37.
    const counts = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    const r = new Random(11);
    for (let t = 0; t < 6000; t++) permutation(3, r).forEach((e, pos) => counts[e][pos]++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - 2000)).toBeLessThan(160);
  });
});

describe('batches', () => {
  it('covers 0..count-1 in ranges of at most batchSize and stops when aborted', async () => {
    const ranges: { start: number; end: number }[] = [];
    for await (const r of batches({ count: 7 }, 3)) ranges.push(r);
    expect(ranges).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 7 },
    ]);
    const ac = new AbortController();
    const seen: { start: number; end: number }[] = [];
    const run = async () => {
      for await (const r of batches({ count: 10 }, 2, ac.signal)) {
        seen.push(r);
        ac.abort();
      }
    };
    await expect(run()).rejects.toThrow('cancelled');
    expect(seen).toHaveLength(1);
  });
});
