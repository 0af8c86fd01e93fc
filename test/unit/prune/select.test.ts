import { describe, expect, it } from 'vitest';
import { normPerUnit, selectUnits, type ScoredLayer } from '../../../src/main/engine/prune/select.js';

// Two layers with hand-picked UnitMem values; expectations below are worked out by hand.
const LAYERS: ScoredLayer[] = [
  { name: 'a', units: 5, unitmem: [0.1, 0.9, 0.5, 0.9, 0.2], norm: [4, 1, 3, 2, 5] },
  { name: 'b', units: 4, unitmem: [0.3, 0.8, 0.6, 0.4], norm: [40, 80, 10, 20] },
];
const sel = (o: Partial<Parameters<typeof selectUnits>[1]>) =>
  Object.fromEntries(selectUnits(LAYERS, { strategy: 'high', ratio: 0.5, scope: 'layer', ...o }));

describe('selectUnits', () => {
  it('high/layer removes floor(r*units) highest-UnitMem units per layer, ties by lower index', () => {
    // a: floor(2.5)=2 -> 0.9@1 and 0.9@3 (tie at 0.9 resolved by index); b: 2 -> 0.8@1, 0.6@2
    expect(sel({})).toEqual({ a: [1, 3], b: [1, 2] });
    // ratio 0.4: a floor(2.0)=2, b floor(1.6)=1 -> only the top unit of b
    expect(sel({ ratio: 0.4 })).toEqual({ a: [1, 3], b: [1] });
  });

  it('a tie at the cut goes to the lower index', () => {
    // a at ratio 0.2: one unit; units 1 and 3 tie at 0.9 -> 1
    expect(sel({ ratio: 0.2, include: ['a'] })).toEqual({ a: [1] });
  });

  it('low removes the lowest UnitMem units', () => {
    expect(sel({ strategy: 'low' })).toEqual({ a: [0, 4], b: [0, 3] });
  });

  it('l1 removes the smallest-norm units per layer', () => {
    expect(sel({ strategy: 'l1' })).toEqual({ a: [1, 3], b: [2, 3] });
  });

  it('global ranks UnitMem across layers', () => {
    // 9 units, floor(0.5*9)=4: 0.9(a1) 0.9(a3) 0.8(b1) 0.6(b2)
    expect(sel({ scope: 'global' })).toEqual({ a: [1, 3], b: [1, 2] });
    // floor(0.34*9)=3: a1 a3 b1
    expect(sel({ scope: 'global', ratio: 0.34 })).toEqual({ a: [1, 3], b: [1] });
    // low, 3 units: 0.1(a0) 0.2(a4) 0.3(b0)
    expect(sel({ scope: 'global', ratio: 0.34, strategy: 'low' })).toEqual({ a: [0, 4], b: [0] });
  });

  it('global l1 compares norms relative to each layer mean', () => {
    // a mean 3 -> [1.33,0.33,1,0.67,1.67]; b mean 37.5 -> [1.07,2.13,0.27,0.53]
    // smallest 3 of 9: b2 (0.27), a1 (0.33), b3 (0.53)
    expect(sel({ scope: 'global', ratio: 0.34, strategy: 'l1' })).toEqual({ a: [1], b: [2, 3] });
  });

  it('global budget counts every layer a coupled entry stands for', () => {
    // a: two coupled layers ranked as one (8 units of the model), b: 4 units; 0.25 of 12 = 3 units.
    // high: a0 (.9) costs 2, a1 (.8) would cost 2 more than the 1 left, b0 (.7) costs the last 1.
    const layers: ScoredLayer[] = [
      { name: 'a', units: 4, layers: 2, unitmem: [0.9, 0.8, 0.1, 0.2] },
      { name: 'b', units: 4, unitmem: [0.7, 0.6, 0.5, 0.4] },
    ];
    expect(Object.fromEntries(selectUnits(layers, { strategy: 'high', ratio: 0.25, scope: 'global' }))).toEqual({
      a: [0],
      b: [0],
    });
  });

  it('whole heads: scope layer rounds the share to the nearest (a plain layer floors it), keeping one', () => {
    const heads = (units: number): ScoredLayer => ({
      name: 'h',
      units,
      unitmem: Array.from({ length: units }, (_, u) => u),
      whole: 'attention heads',
    });
    const count = (l: ScoredLayer, ratio: number) =>
      selectUnits([l], { strategy: 'high', ratio, scope: 'layer' }).get(l.name)?.length ?? 0;
    // 6 heads: 0.2 -> 1.2 -> 1; 0.25 -> 1.5 -> 2; 0.1 -> 0.6 -> 1 (a floor would cut none); 2 heads at 0.9 -> 1.8, one kept
    expect([0.2, 0.25, 0.1].map((r) => count(heads(6), r))).toEqual([1, 2, 1]);
    expect(count(heads(2), 0.9)).toBe(1);
    expect(count({ ...heads(6), whole: undefined }, 0.1)).toBe(0);
    expect(selectUnits([heads(6)], { strategy: 'high', ratio: 0.25, scope: 'layer' }).get('h')).toEqual([4, 5]);
  });

  it('keeps at least one unit per layer in both scopes', () => {
    const tiny: ScoredLayer[] = [
      { name: 'x', units: 2, unitmem: [1, 1] },
      { name: 'y', units: 3, unitmem: [0, 0, 0] },
    ];
    // global 0.99 of 5 -> 4 wanted; x may lose only 1, y only 2 -> 3
    const g = selectUnits(tiny, { strategy: 'high', ratio: 0.99, scope: 'global' });
    expect(Object.fromEntries(g)).toEqual({ x: [0], y: [0, 1] });
    const l = selectUnits([{ name: 'z', units: 1, unitmem: [1] }], { strategy: 'high', ratio: 0.9, scope: 'layer' });
    expect(l.size).toBe(0);
  });

  it('random is reproducible per seed and differs across seeds', () => {
    const big: ScoredLayer[] = [{ name: 'r', units: 100 }];
    const run = (seed: number) => selectUnits(big, { strategy: 'random', ratio: 0.3, scope: 'layer', seed }).get('r');
    expect(run(7)).toEqual(run(7));
    expect(run(7)).toHaveLength(30);
    expect(run(7)).not.toEqual(run(8));
  });

  it('include and exclude restrict the layers; unknown names are an error', () => {
    expect(sel({ include: ['b'] })).toEqual({ b: [1, 2] });
    expect(sel({ exclude: ['b'] })).toEqual({ a: [1, 3] });
    expect(() => sel({ include: ['nope'] })).toThrow(/unknown layer name\(s\) in include: nope/);
    expect(() => sel({ exclude: ['a', 'zz'] })).toThrow(/unknown layer name\(s\) in exclude: zz/);
  });

  it('rejects a ratio outside [0, 1)', () => {
    for (const ratio of [-0.1, 1, 1.5, NaN]) expect(() => sel({ ratio })).toThrow(/outside \[0, 1\)/);
    expect(sel({ ratio: 0 })).toEqual({});
  });

  it('rejects scores whose length does not match the layer', () => {
    expect(() =>
      selectUnits([{ name: 'q', units: 3, unitmem: [1, 2] }], { strategy: 'high', ratio: 0.5, scope: 'layer' }),
    ).toThrow(/layer q: 2 unitmem scores for 3 units/);
  });
});

describe('normPerUnit', () => {
  it('sums |w| per slice along the unit axis (p = 1)', () => {
    // dims [2,3]: axis 0 -> rows, axis 1 -> columns
    const w = [1, -2, 3, -4, 5, -6];
    expect(Array.from(normPerUnit(w, [2, 3], 0, 1))).toEqual([6, 15]);
    expect(Array.from(normPerUnit(w, [2, 3], 1, 1))).toEqual([5, 7, 9]);
  });
});
