// LayerMem (docs/METRICS.md "SSLMem, LayerMem and DeltaLayerMem"), from per-sample Gram matrices of a layer's flattened output.
//
// Distance choice: the L2 distance (not squared) between L2-normalized representations, as the
// authors' code does. Pairwise L2 distances are not a streaming sum, so the tapped graph returns,
// per sample, the V x V Gram matrix of its views' raw flattened outputs (computed by onnxruntime,
// a few floats per sample instead of the whole layer); normalization and distances follow here:
//   d(i, j) = sqrt(|a_i|^2 + |a_j|^2 - 2 a_i.a_j) with a = x / max(|x|, eps) (torch F.normalize),
// so a dead (all-zero) representation is the zero vector, at distance 1 from any unit vector.
// Float32 Grams bound the distance error near 0 to about 1e-3; view distances are ~0.1 to 1.

const EPS = 1e-12;

export type Pairing = 'views' | 'anchor';
export type LayerMemNorm = 'paper' | 'range';

/**
 * SSL_h(x) for each sample of a batch: `gram` is [samples, V, V]. 'views': mean distance over
 * all pairs of distinct views; 'anchor': mean distance from view 0 (the anchor, the un-augmented
 * x) to each other view.
 */
export function viewDistances(gram: Float32Array, v: number, pairing: Pairing): Float64Array {
  const n = gram.length / (v * v);
  const out = new Float64Array(n);
  const scale = new Float64Array(v);
  const sq = new Float64Array(v);
  for (let s = 0; s < n; s++) {
    const g = s * v * v;
    for (let i = 0; i < v; i++) {
      const nn = Math.max(0, gram[g + i * v + i]);
      scale[i] = 1 / Math.max(Math.sqrt(nn), EPS);
      sq[i] = nn * scale[i] * scale[i];
    }
    const dist = (i: number, j: number) =>
      Math.sqrt(Math.max(0, sq[i] + sq[j] - 2 * gram[g + i * v + j] * scale[i] * scale[j]));
    let sum = 0;
    let pairs = 0;
    if (pairing === 'anchor') {
      for (let j = 1; j < v; j++, pairs++) sum += dist(0, j);
    } else {
      for (let i = 0; i < v; i++) for (let j = i + 1; j < v; j++, pairs++) sum += dist(i, j);
    }
    out[s] = pairs > 0 ? sum / pairs : 0;
  }
  return out;
}

/** Per-point SSLMem = SSL_g - SSL_f, normalized per point ('paper') or by the range over candidates. */
export function sslMem(sslF: ArrayLike<number>, sslG: ArrayLike<number>, norm: LayerMemNorm): number[] {
  const diff = Array.from(sslF, (f, i) => sslG[i] - f);
  if (norm === 'paper') {
    return diff.map((d, i) => {
      const den = sslF[i] + sslG[i];
      return den === 0 ? 0 : d / den;
    });
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of diff) {
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  const range = hi - lo;
  return diff.map((d) => (range > 0 ? d / range : 0));
}

export interface LayerMemRow {
  layermem: number;
  delta: number;
  sslmem: number[];
}

/**
 * LayerMem = mean SSLMem over candidates; DeltaLayerMem = LayerMem minus the previous row's
 * (the first row's delta is its LayerMem: the input carries no memorization).
 */
export function layerMemRows(
  perLayer: { sslF: ArrayLike<number>; sslG: ArrayLike<number> }[],
  norm: LayerMemNorm,
): LayerMemRow[] {
  let previous = 0;
  return perLayer.map(({ sslF, sslG }) => {
    const sslmem = sslMem(sslF, sslG, norm);
    const layermem = sslmem.reduce((a, b) => a + b, 0) / Math.max(1, sslmem.length);
    const row = { layermem, delta: layermem - previous, sslmem };
    previous = layermem;
    return row;
  });
}
