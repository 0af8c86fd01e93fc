/** Mean of a list; NaN for an empty one (a chart shows a gap rather than a fake 0). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** [min, q1, median, q3, max] with linear interpolation between order statistics (numpy's default). */
export function fiveNumbers(values: readonly number[]): [number, number, number, number, number] {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    if (v.length === 0) return Number.NaN;
    const pos = p * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  return [q(0), q(0.25), q(0.5), q(0.75), q(1)];
}
