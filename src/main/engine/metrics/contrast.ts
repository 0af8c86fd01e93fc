// The contrast both UnitMem and ClassMem use (docs/METRICS.md, UnitMem step 5 and ClassMem).

/** (max - rest) / (max + rest); 0 where the denominator is 0 (a dead unit). */
export function contrast(max: number, rest: number): number {
  const den = max + rest;
  return den === 0 ? 0 : (max - rest) / den;
}

/** Median of `values` (sorted in place); the mean of the two middle values for an even count, as numpy does. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  values.sort();
  const mid = n >> 1;
  return n % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

export interface MaxRest {
  max: number;
  argmax: number;
  rest: number;
}

/**
 * Max over `n` values read by `at(i)` (first index wins ties), and the mean or median of the
 * others. `scratch` holds n - 1 values for the median, so callers reuse one buffer per layer.
 */
export function maxAndRest(
  n: number,
  at: (i: number) => number,
  rest: 'mean' | 'median',
  scratch: Float64Array,
): MaxRest {
  let max = -Infinity;
  let argmax = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    sum += v;
    if (v > max) {
      max = v;
      argmax = i;
    }
  }
  if (n < 2) return { max, argmax, rest: 0 };
  if (rest === 'mean') return { max, argmax, rest: (sum - max) / (n - 1) };
  let j = 0;
  for (let i = 0; i < n; i++) if (i !== argmax) scratch[j++] = at(i);
  return { max, argmax, rest: medianInPlace(scratch.subarray(0, n - 1)) };
}
