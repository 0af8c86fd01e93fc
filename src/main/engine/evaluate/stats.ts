// Seeded bootstrap for the comparison's intervals and paired tests (docs/compare.md "Statistics").
// One statistic serves every figure: the mean over items (test images, candidate or control points)
// of the mean over rows (random seeds), minus the same of a second sample. Each replicate draws the
// rows (when there are several) and the items with replacement, so an interval covers both the
// choice of test images or points and the choice of random selection.
import { Random } from '../data/random.js';

/** Rows of per-item values: one row per seed, every row over the same items in the same order. */
export type Rows = readonly ArrayLike<number>[];

export interface BootstrapSettings {
  resamples: number;
  seed: number;
}

export const BOOTSTRAP: BootstrapSettings = { resamples: 2000, seed: 0 };
/** Two-sided level below which a difference is called significant. */
export const ALPHA = 0.05;

export interface Estimate {
  estimate: number;
  /** Percentile 95% interval. */
  ci95: [number, number];
  /** Two-sided bootstrap p-value of estimate = 0: twice the smaller tail of the replicates at 0. */
  pValue: number;
}

export type Verdict = 'higher' | 'lower' | 'not significant';

function meanOfRows(rows: Rows): number {
  let sum = 0;
  for (const r of rows) for (let i = 0; i < r.length; i++) sum += r[i];
  return sum / (rows.length * rows[0].length);
}

/** Per-item means over the drawn rows, into `out`. */
function rowMeans(rows: Rows, picks: Int32Array, out: Float64Array): void {
  out.fill(0);
  for (const k of picks) {
    const r = rows[k];
    for (let i = 0; i < out.length; i++) out[i] += r[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= picks.length;
}

function checkRows(rows: Rows, what: string): void {
  if (rows.length === 0 || rows[0].length === 0) throw new RangeError(`bootstrap needs at least one ${what} value`);
  if (rows.some((r) => r.length !== rows[0].length)) throw new RangeError(`bootstrap ${what} rows differ in length`);
}

/** The q-quantile of sorted values, linear between order statistics (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * mean(a) - mean(b) (b omitted: mean(a)) with its bootstrap interval and p-value. `a` and `b` are
 * drawn independently (different items); when both have the same number of rows, one draw of rows
 * serves both (row k of a and of b come from the same seed).
 */
export function bootstrap(a: Rows, b: Rows | undefined, s: BootstrapSettings = BOOTSTRAP): Estimate {
  checkRows(a, 'first');
  if (b) checkRows(b, 'second');
  const rng = new Random(s.seed);
  const samples = b ? [a, b] : [a];
  const perItem = samples.map((x) => new Float64Array(x[0].length));
  const picks = samples.map((x) => new Int32Array(x.length));
  const replicates = new Float64Array(s.resamples);
  for (let t = 0; t < s.resamples; t++) {
    let stat = 0;
    samples.forEach((x, j) => {
      const shared = j === 1 && x.length === a.length;
      for (let k = 0; k < x.length; k++) picks[j][k] = shared ? picks[0][k] : x.length > 1 ? rng.int(x.length) : 0;
      rowMeans(x, picks[j], perItem[j]);
      const n = perItem[j].length;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += perItem[j][rng.int(n)];
      stat += (j === 0 ? 1 : -1) * (sum / n);
    });
    replicates[t] = stat;
  }
  replicates.sort();
  let below = 0;
  let above = 0;
  for (const r of replicates) {
    if (r <= 0) below++;
    if (r >= 0) above++;
  }
  return {
    estimate: meanOfRows(a) - (b ? meanOfRows(b) : 0),
    ci95: [quantile(replicates, 0.025), quantile(replicates, 0.975)],
    // +1: a finite number of replicates cannot show a tail of zero.
    pValue: Math.min(1, (2 * (Math.min(below, above) + 1)) / (s.resamples + 1)),
  };
}

/** A difference a - b in plain words: significant at ALPHA or not. */
export function verdict(e: Estimate): Verdict {
  if (e.pValue >= ALPHA) return 'not significant';
  return e.estimate > 0 ? 'higher' : 'lower';
}

/** Row k minus b's row k (b with one row: that row), item by item: paired differences per seed. */
export function pairedRows(a: Rows, b: Rows): Float64Array[] {
  const rows = Math.max(a.length, b.length);
  return Array.from({ length: rows }, (_, k) => {
    const x = a[Math.min(k, a.length - 1)];
    const y = b[Math.min(k, b.length - 1)];
    return Float64Array.from({ length: x.length }, (_, i) => x[i] - y[i]);
  });
}
