// ClassMem per unit (docs/METRICS.md "ClassMem"): the UnitMem contrast over class means of
// un-augmented activations, rest = mean of the other classes.
import { contrast, maxAndRest } from './contrast.js';

export interface ClassMemScores {
  classmem: number[];
  /** Index into the source's classes of the class each unit responds to most. */
  argmaxClass: number[];
}

/** Sums one layer's unit activations per class; memory is classes x units. */
export class ClassMeanAccumulator {
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;

  constructor(
    readonly classes: number,
    readonly units: number,
  ) {
    this.sums = new Float64Array(classes * units);
    this.counts = new Uint32Array(classes);
  }

  /** `rows` is [n, units]; `classOf[r]` is row r's label. */
  add(rows: Float32Array, classOf: ArrayLike<number>): void {
    const u = this.units;
    for (let r = 0; r < classOf.length; r++) {
      const base = classOf[r] * u;
      for (let k = 0; k < u; k++) this.sums[base + k] += rows[r * u + k];
      this.counts[classOf[r]]++;
    }
  }

  /** Classes without any sample have no mean and take no part in max or rest. */
  scores(): ClassMemScores {
    const present = [...this.counts.keys()].filter((c) => this.counts[c] > 0);
    const out: ClassMemScores = { classmem: [], argmaxClass: [] };
    const scratch = new Float64Array(Math.max(0, present.length - 1));
    for (let k = 0; k < this.units; k++) {
      const mean = (j: number) => this.sums[present[j] * this.units + k] / this.counts[present[j]];
      const m = maxAndRest(present.length, mean, 'mean', scratch);
      out.classmem.push(contrast(m.max, m.rest));
      out.argmaxClass.push(present[m.argmax]);
    }
    return out;
  }
}
