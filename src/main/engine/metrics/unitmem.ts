// UnitMem per unit (docs/METRICS.md "UnitMem"): per-sample view means, folded into per-unit statistics
// as soon as a sample's views are complete, then max vs rest (docs/SCALE.md "Memory").
import { contrast, medianInPlace } from './contrast.js';
import { packF64, packI32, unpackF64, unpackI32, type Packed } from './packed.js';

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
 * View means of whole samples: `rows` is [samples * views, units], each sample's views contiguous.
 * Written into `into` when given (one buffer per layer for the whole run: no per-batch garbage).
 */
export function viewMeans(rows: Float32Array, units: number, views: number, into?: Float64Array): Float64Array {
  const samples = rows.length / (units * views);
  const mu = into ? into.subarray(0, samples * units).fill(0) : new Float64Array(samples * units);
  for (let s = 0; s < samples; s++) {
    const base = s * units;
    for (let v = 0; v < views; v++) {
      const off = (s * views + v) * units;
      for (let k = 0; k < units; k++) mu[base + k] += rows[off + k];
    }
    for (let k = 0; k < units; k++) mu[base + k] /= views;
  }
  return mu;
}

/** What a UnitStats holds, as JSON (checkpoints and shard parts). */
export interface UnitStatsState {
  samples: number;
  negative: boolean;
  sum: Packed;
  max: Packed;
  argmax: Packed;
  topIndex: Packed;
  topMu: Packed;
}

/**
 * Per-unit statistics of one layer over the samples folded so far, in increasing sample order:
 * sum, max, argmax (first wins ties) and the k highest means. Memory is units x (k + 3) numbers,
 * whatever the number of samples; the median rest needs every mean and reads them from a spill.
 */
export class UnitStats {
  samples = 0;
  negative = false;
  readonly sum: Float64Array;
  readonly max: Float64Array;
  readonly argmax: Int32Array;
  /** [units, k]; the first min(samples, k) of each unit's row are used, highest first. */
  readonly topIndex: Int32Array;
  readonly topMu: Float64Array;

  constructor(
    readonly units: number,
    readonly k: number,
  ) {
    this.sum = new Float64Array(units);
    this.max = new Float64Array(units).fill(-Infinity);
    this.argmax = new Int32Array(units);
    this.topIndex = new Int32Array(units * k);
    this.topMu = new Float64Array(units * k);
  }

  /** Folds the means `mu` [n, units] of samples first..first+n-1 (after every sample folded so far). */
  addMeans(mu: Float64Array, first: number): void {
    const u = this.units;
    const k = this.k;
    const n = mu.length / u;
    for (let s = 0; s < n; s++) {
      const held = Math.min(this.samples, k);
      for (let j = 0; j < u; j++) {
        const v = mu[s * u + j];
        if (v < 0) this.negative = true;
        this.sum[j] += v;
        if (v > this.max[j]) {
          this.max[j] = v;
          this.argmax[j] = first + s;
        }
        // A later sample enters the top only when strictly greater: ties keep the lower index.
        const t = j * k;
        if (held === k && !(v > this.topMu[t + k - 1])) continue;
        let p = Math.min(held, k - 1);
        while (p > 0 && v > this.topMu[t + p - 1]) {
          this.topMu[t + p] = this.topMu[t + p - 1];
          this.topIndex[t + p] = this.topIndex[t + p - 1];
          p--;
        }
        this.topMu[t + p] = v;
        this.topIndex[t + p] = first + s;
      }
      this.samples++;
    }
  }

  /** Folds in `later`, the statistics of samples that all come after this one's. */
  merge(later: UnitStats): void {
    const { units: u, k } = this;
    const mu = new Float64Array(k);
    const idx = new Int32Array(k);
    const [ha, hb] = [Math.min(this.samples, k), Math.min(later.samples, k)];
    for (let j = 0; j < u; j++) {
      this.sum[j] += later.sum[j];
      if (later.max[j] > this.max[j]) {
        this.max[j] = later.max[j];
        this.argmax[j] = later.argmax[j];
      }
      const t = j * k;
      let [a, b] = [0, 0];
      for (let p = 0; p < k && (a < ha || b < hb); p++) {
        const fromA = b >= hb || (a < ha && !(later.topMu[t + b] > this.topMu[t + a]));
        mu[p] = fromA ? this.topMu[t + a] : later.topMu[t + b];
        idx[p] = fromA ? this.topIndex[t + a++] : later.topIndex[t + b++];
      }
      this.topMu.set(mu, t);
      this.topIndex.set(idx, t);
    }
    this.samples += later.samples;
    this.negative ||= later.negative;
  }

  state(): UnitStatsState {
    const { samples, negative } = this;
    return {
      samples,
      negative,
      sum: packF64(this.sum),
      max: packF64(this.max),
      argmax: packI32(this.argmax),
      topIndex: packI32(this.topIndex),
      topMu: packF64(this.topMu),
    };
  }

  static from(s: UnitStatsState, units: number, k: number): UnitStats {
    const stats = new UnitStats(units, k);
    stats.samples = s.samples;
    stats.negative = s.negative;
    stats.sum.set(unpackF64(s.sum, units));
    stats.max.set(unpackF64(s.max, units));
    stats.argmax.set(unpackI32(s.argmax, units));
    stats.topIndex.set(unpackI32(s.topIndex, units * k));
    stats.topMu.set(unpackF64(s.topMu, units * k));
    return stats;
  }

  /**
   * UnitMem (docs/METRICS.md "UnitMem", steps 3-5). `medianRest[j]`: unit j's median of every mean but the argmax
   * sample's (from the spilled means); without it the rest is the mean of the others.
   */
  scores(medianRest?: Float64Array): UnitMemScores {
    const n = this.samples;
    const out: UnitMemScores = {
      unitmem: [],
      muMax: [],
      muRest: [],
      argmaxSample: [],
      top: [],
      topMu: [],
      signed: this.negative,
    };
    const held = Math.min(n, this.k);
    for (let j = 0; j < this.units; j++) {
      const max = this.max[j];
      const rest = n < 2 ? 0 : medianRest ? medianRest[j] : (this.sum[j] - max) / (n - 1);
      out.unitmem.push(contrast(max, rest));
      out.muMax.push(max);
      out.muRest.push(rest);
      out.argmaxSample.push(this.argmax[j]);
      out.top.push(Array.from(this.topIndex.subarray(j * this.k, j * this.k + held)));
      out.topMu.push(Array.from(this.topMu.subarray(j * this.k, j * this.k + held)));
    }
    return out;
  }
}

/**
 * Per unit, the median of `column(j)` (every sample's mean of unit j) without sample `skip[j]`.
 * The column buffer is reused; it is sorted in place.
 */
export function medianWithout(column: Float64Array, skip: number): number {
  column.copyWithin(skip, skip + 1);
  return medianInPlace(column.subarray(0, column.length - 1));
}
