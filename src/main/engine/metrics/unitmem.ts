// UnitMem per unit (docs/METRICS.md "UnitMem"): streaming view means per sample, then max vs rest.
import { maxAndRest, contrast } from './contrast.js';

export interface UnitMemScores {
  unitmem: number[];
  muMax: number[];
  muRest: number[];
  argmaxSample: number[];
  /** Per unit, the indices of its `k` highest-mu samples, highest first (ties: lower index first). */
  top: number[][];
  /** The mu of each `top` sample. */
  topMu: number[][];
  /** True when some per-view unit value was negative (UnitMem then leaves [0, 1]). */
  signed: boolean;
}

/**
 * Sums one layer's per-view unit activations per sample. Memory is samples x units, whatever
 * the number of views (each view is folded into the running sum as it arrives).
 */
export class UnitMeanAccumulator {
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;
  private negative = false;

  constructor(
    readonly samples: number,
    readonly units: number,
  ) {
    this.sums = new Float64Array(samples * units);
    this.counts = new Uint32Array(samples);
  }

  /** `rows` is [rows.length / units, units] (one row per view); `sampleOf[r]` names row r's sample. */
  add(rows: Float32Array, sampleOf: ArrayLike<number>): void {
    const u = this.units;
    for (let r = 0; r < sampleOf.length; r++) {
      const s = sampleOf[r];
      const base = s * u;
      const off = r * u;
      for (let k = 0; k < u; k++) {
        const v = rows[off + k];
        if (v < 0) this.negative = true;
        this.sums[base + k] += v;
      }
      this.counts[s]++;
    }
  }

  /** mu_u(x_i): the mean over views, [samples x units]. */
  means(): Float64Array {
    const mu = new Float64Array(this.sums.length);
    for (let s = 0; s < this.samples; s++) {
      const c = this.counts[s] || 1;
      for (let k = 0; k < this.units; k++) mu[s * this.units + k] = this.sums[s * this.units + k] / c;
    }
    return mu;
  }

  /** `top`: how many of each unit's highest-mu samples to keep (the Units screen's top images). */
  scores(rest: 'mean' | 'median', top: number): UnitMemScores {
    return { ...unitMemScores(this.means(), this.samples, this.units, rest, top), signed: this.negative };
  }
}

/** UnitMem from view means `mu` [samples x units] (docs/METRICS.md "UnitMem", steps 3-5). */
export function unitMemScores(
  mu: ArrayLike<number>,
  samples: number,
  units: number,
  rest: 'mean' | 'median',
  top: number,
): Omit<UnitMemScores, 'signed'> {
  const out: Omit<UnitMemScores, 'signed'> = { unitmem: [], muMax: [], muRest: [], argmaxSample: [], top: [], topMu: [] };
  const scratch = new Float64Array(Math.max(0, samples - 1));
  for (let u = 0; u < units; u++) {
    const at = (i: number) => mu[i * units + u];
    const m = maxAndRest(samples, at, rest, scratch);
    out.unitmem.push(contrast(m.max, m.rest));
    out.muMax.push(m.max);
    out.muRest.push(m.rest);
    out.argmaxSample.push(m.argmax);
    const t = topIndices(samples, at, top);
    out.top.push(t);
    out.topMu.push(t.map(at));
  }
  return out;
}

/**
 * Indices of the `k` largest of `n` values read by `at(i)`, largest first; equal values keep
 * index order, so the first entry is maxAndRest's argmax. A sorted window of k: O(n k), and k is small.
 */
export function topIndices(n: number, at: (i: number) => number, k: number): number[] {
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (keep.length === k && !(v > at(keep[k - 1]))) continue;
    // Insert after every kept value >= v (strict > keeps lower indices ahead on ties).
    let j = keep.length;
    while (j > 0 && v > at(keep[j - 1])) j--;
    keep.splice(j, 0, i);
    if (keep.length > k) keep.pop();
  }
  return keep;
}
