import { describe, expect, it } from 'vitest';
import { sliceAxes, zeroUnits } from '../../../src/main/engine/prune/weights.js';

// A [2,3,2] tensor holding its own flat index, so every kept value names its source position.
const t = () => Float32Array.from({ length: 12 }, (_, i) => i);

describe('sliceAxes', () => {
  it('keeps listed indices on several axes in one pass', () => {
    // axis 0 keep [1], axis 1 keep [0, 2]: positions (1,0,*) = 6,7 and (1,2,*) = 10,11
    const r = sliceAxes(t(), [2, 3, 2], [[1], [0, 2], undefined]);
    expect(r.dims).toEqual([1, 2, 2]);
    expect(Array.from(r.data)).toEqual([6, 7, 10, 11]);
  });

  it('slices the innermost axis', () => {
    const r = sliceAxes(t(), [2, 3, 2], [undefined, undefined, [1]]);
    expect(r.dims).toEqual([2, 3, 1]);
    expect(Array.from(r.data)).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('copies runs of consecutive kept indices, on the first axis alone too', () => {
    // axis 1 keep [0, 1] (one run) of a [2,3,2]: (0,0..1,*) = 0..3, (1,0..1,*) = 6..9
    expect(Array.from(sliceAxes(t(), [2, 3, 2], [undefined, [0, 1], undefined]).data)).toEqual([
      0, 1, 2, 3, 6, 7, 8, 9,
    ]);
    // axis 0 keep [1] only: the second half
    expect(Array.from(sliceAxes(t(), [2, 3, 2], [[1], undefined, undefined]).data)).toEqual([6, 7, 8, 9, 10, 11]);
    // 100 values on one axis, keep two runs of which one is >= 64 long (copied with set)
    const long = Float32Array.from({ length: 100 }, (_, i) => i);
    const keep = [...Array.from({ length: 70 }, (_, i) => i), 80, 81];
    expect(Array.from(sliceAxes(long, [100], [keep]).data)).toEqual(keep);
  });

  it('returns the input when nothing is removed', () => {
    const src = t();
    expect(sliceAxes(src, [2, 3, 2], [undefined, undefined, undefined]).data).toBe(src);
  });
});

describe('zeroUnits', () => {
  it('zeroes the units along an axis, `block` indices per unit', () => {
    const a = t();
    zeroUnits(a, [2, 3, 2], 1, [2], 1); // (*,2,*) = 4,5,10,11
    expect(Array.from(a)).toEqual([0, 1, 2, 3, 0, 0, 6, 7, 8, 9, 0, 0]);
    const b = Float32Array.from({ length: 6 }, (_, i) => i + 1);
    zeroUnits(b, [6], 0, [1], 2); // unit 1 of a x2 depthwise follower = indices 2, 3
    expect(Array.from(b)).toEqual([1, 2, 0, 0, 5, 6]);
  });
});
