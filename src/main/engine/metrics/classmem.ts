// ClassMem per unit (docs/METRICS.md "ClassMem"): the UnitMem contrast over class means of
// un-augmented activations, rest = mean of the other classes.
import { contrast, maxAndRest } from './contrast.js';
import { packF64, packI32, unpackF64, unpackI32, type Packed } from './packed.js';

/** What a ClassMeanAccumulator holds, as JSON (checkpoints and shard parts). */
export interface ClassSumsState {
  sums: Packed;
  counts: Packed;
}

export interface ClassMemScores {
  classmem: number[];
  /** Index into the source's classes of the class each unit responds to most. */
  argmaxClass: number[];
}

/** Sums one layer's unit activations per class; memory is classes x units. */
export class ClassMeanAccumulator {
  private readonly sums: Float64Array;
  private readonly counts: Int32Array;

  constructor(
    readonly classes: number,
    readonly units: number,
  ) {
    this.sums = new Float64Array(classes * units);
    this.counts = new Int32Array(classes);
  }

  state(): ClassSumsState {
    return { sums: packF64(this.sums), counts: packI32(this.counts) };
  }

  static from(s: ClassSumsState, classes: number, units: number): ClassMeanAccumulator {
    const acc = new ClassMeanAccumulator(classes, units);
    acc.sums.set(unpackF64(s.sums, classes * units));
    acc.counts.set(unpackI32(s.counts, classes));
    return acc;
  }

  /** Folds in the sums of other samples (another shard). */
  merge(other: ClassMeanAccumulator): void {
    for (let i = 0; i < this.sums.length; i++) this.sums[i] += other.sums[i];
    for (let c = 0; c < this.classes; c++) this.counts[c] += other.counts[c];
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
