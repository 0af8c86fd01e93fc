// The split of a batch between training shards (row-split.ts): equal parts until every shard's
// speed is measured past its warm-up runs, then parts in proportion to speed, in steps of a
// granule, moved only for a gain above the noise; the parts always tile the batch.
import { describe, expect, it } from 'vitest';
import { RowSplit } from '../../../src/main/engine/finetune/row-split.js';

const counts = (parts: [number, number][]) => parts.map(([, count]) => count);

/** Every row in exactly one part, in order. */
function tiles(parts: [number, number][], n: number): boolean {
  let next = 0;
  for (const [first, count] of parts) {
    if (first !== next || count < 0) return false;
    next += count;
  }
  return next === n;
}

/** Steps of `n` rows where shard s takes msPerRow[s] ms a row (plus `jitter(step, s)`); the last split. */
function run(split: RowSplit, n: number, msPerRow: number[], steps: number, jitter = (_: number, __: number) => 0) {
  for (let step = 0; step < steps; step++) {
    const c = counts(split.split(n));
    split.record(
      c,
      c.map((k, s) => k * msPerRow[s] + jitter(step, s)),
    );
  }
  return split.split(n);
}

describe('row split between training shards', () => {
  it('starts with near-equal parts that tile any batch, a row for each shard where there are enough', () => {
    expect(counts(new RowSplit(2).split(64))).toEqual([32, 32]);
    expect(counts(new RowSplit(3).split(64))).toEqual([22, 21, 21]);
    for (const n of [1, 2, 3, 7, 20, 63, 64, 65]) {
      const parts = new RowSplit(3).split(n);
      expect(tiles(parts, n)).toBe(true);
      if (n >= 3) expect(Math.min(...counts(parts))).toBeGreaterThan(0);
    }
  });

  it('gives a shard whose core is 25% slower a proportionally smaller part', () => {
    // speeds 1 : 0.8 -> 64 rows as 35.6 : 28.4, in granules of 4 rows: 36 / 28
    const split = new RowSplit(2);
    expect(counts(run(split, 64, [0.8, 1.0], 12))).toEqual([36, 28]);
    // and back when the cores are equal again
    expect(counts(run(split, 64, [0.8, 0.8], 20))).toEqual([32, 32]);
  });

  it('does not measure a batch size on its first two runs, where onnxruntime plans its memory', () => {
    const split = new RowSplit(2);
    // two slow first runs on one shard: no change yet
    split.record([32, 32], [32, 32 * 3]);
    split.record([32, 32], [32, 32 * 3]);
    expect(counts(split.split(64))).toEqual([32, 32]);
    // equal speeds after the warm-up: the split stays
    expect(counts(run(split, 64, [1, 1], 10))).toEqual([32, 32]);
  });

  it('stays put where a move would gain less than the noise it guards against', () => {
    // 1.13 : 1 rounds to 9 : 7 granules, but that step (7.9 granule-ms) is under 1% shorter than 8 : 8's
    const split = new RowSplit(2);
    const noise = (step: number, s: number) => ((step + s) % 2 === 0 ? 0.3 : -0.3);
    expect(counts(run(split, 64, [0.8825, 1], 30, noise))).toEqual([32, 32]);
    // 1.2 : 1 gains 4%: it moves
    expect(counts(run(split, 64, [0.833, 1], 30, noise))).toEqual([36, 28]);
  });

  it('tiles uneven and small batches after it has moved, far too', () => {
    const far = new RowSplit(3);
    run(far, 48, [0.01, 1, 1], 12);
    expect(counts(far.split(3))).toEqual([1, 1, 1]);
    const split = new RowSplit(3);
    run(split, 48, [0.5, 1, 1], 12);
    const parts = split.split(48);
    expect(counts(parts)[0]).toBeGreaterThan(counts(parts)[1]);
    for (const n of [1, 2, 5, 47, 48]) {
      const p = split.split(n);
      expect(tiles(p, n)).toBe(true);
      if (n >= 3) expect(Math.min(...counts(p))).toBeGreaterThan(0);
    }
  });
});
