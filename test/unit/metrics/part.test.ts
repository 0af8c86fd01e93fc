// Shard slices and the packed arrays of parts (docs/SCALE.md "Shards").
import { describe, expect, it } from 'vitest';
import { packF64, packI32, unpackF64, unpackI32 } from '../../../src/main/engine/metrics/packed.js';
import { parseShard, shardRange } from '../../../src/main/engine/metrics/part.js';

describe('shards', () => {
  it('split the candidates into contiguous slices whose sizes differ by at most one', () => {
    expect([0, 1, 2].map((index) => shardRange(250, { index, count: 3 }))).toEqual([
      [0, 83],
      [83, 166],
      [166, 250],
    ]);
    expect([0, 1, 2].map((index) => shardRange(4, { index, count: 3 }))).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
    ]);
    expect(shardRange(7)).toEqual([0, 7]);
    expect(() => shardRange(2, { index: 0, count: 3 })).toThrow('shard 0/3 has no samples: there are only 2');
  });

  it('are written I/N with 0 <= I < N', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', '-1/3', '1', 'a/b']) {
      expect(() => parseShard(bad)).toThrow(
        `shard must be I/N with 0 <= I < N (I as Slurm's array task id), got '${bad}'`,
      );
    }
  });
});

describe('packed arrays', () => {
  it('round-trip float64 and int32 bit for bit', () => {
    const f = Float64Array.from([0.1, -Infinity, 1e-300, Math.PI, -0]);
    expect(Object.is(unpackF64(packF64(f), 5)[4], -0)).toBe(true);
    expect(Array.from(unpackF64(packF64(f), 5))).toEqual(Array.from(f));
    // a view at an odd offset packs only its own elements
    const big = Int32Array.from([7, 8, 9, -2147483648]);
    expect(Array.from(unpackI32(packI32(big.subarray(1)), 3))).toEqual([8, 9, -2147483648]);
  });

  it('of the wrong type or length are refused with one line', () => {
    expect(() => unpackF64(packF64(new Float64Array(3)), 4)).toThrow('a packed f64 array of 4 values is damaged');
    expect(() => unpackI32(packF64(new Float64Array(2)), 4)).toThrow('a packed i32 array of 4 values is damaged');
  });
});
