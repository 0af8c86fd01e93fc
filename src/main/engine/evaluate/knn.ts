// Weighted kNN classifier as SSL papers report it (Wu et al. 2018 "InstDisc"; DINO's eval_knn):
// cosine similarity on L2-normalized features, the k most similar training rows vote for their
// class with weight exp(sim / T).
import { l2NormalizeRows, type Features, type Labelled } from './features.js';

export interface KnnOptions {
  /** Neighbours that vote; 20 is DINO's default. */
  k?: number;
  /** Vote temperature; 0.07 as in InstDisc and DINO. */
  temperature?: number;
}

export const DEFAULT_K = 20;
export const DEFAULT_TEMPERATURE = 0.07;

/**
 * Keeps the k largest similarities seen so far, sorted descending (insertion into a short array
 * beats a heap for k around 20, and allocates nothing per query).
 */
class TopK {
  readonly sims: Float64Array;
  readonly index: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.sims = new Float64Array(k);
    this.index = new Int32Array(k);
  }
  reset(): void {
    this.size = 0;
  }
  offer(sim: number, i: number): void {
    const k = this.k;
    if (this.size === k && sim <= this.sims[k - 1]) return;
    let p = this.size < k ? this.size++ : k - 1;
    // Ties keep the earlier training row first, so results do not depend on anything but order.
    while (p > 0 && this.sims[p - 1] < sim) {
      this.sims[p] = this.sims[p - 1];
      this.index[p] = this.index[p - 1];
      p--;
    }
    this.sims[p] = sim;
    this.index[p] = i;
  }
}

/** Predicted class per test row; `classes` is the number of classes (labels 0..classes-1). */
export function knnPredict(train: Labelled, test: Features, classes: number, opts: KnnOptions = {}): Int32Array {
  const k = Math.min(opts.k ?? DEFAULT_K, train.rows);
  const t = opts.temperature ?? DEFAULT_TEMPERATURE;
  const dim = train.dim;
  const a = l2NormalizeRows(train);
  const q = l2NormalizeRows(test);
  const top = new TopK(k);
  const votes = new Float64Array(classes);
  const pred = new Int32Array(test.rows);
  for (let i = 0; i < test.rows; i++) {
    const qo = i * dim;
    top.reset();
    for (let r = 0; r < train.rows; r++) {
      const ro = r * dim;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < dim; j += 2) {
        s0 += q[qo + j] * a[ro + j];
        s1 += q[qo + j + 1] * a[ro + j + 1];
      }
      if (j < dim) s0 += q[qo + j] * a[ro + j];
      top.offer(s0 + s1, r);
    }
    votes.fill(0);
    for (let n = 0; n < top.size; n++) votes[train.labels[top.index[n]]] += Math.exp(top.sims[n] / t);
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
    pred[i] = best;
  }
  return pred;
}
