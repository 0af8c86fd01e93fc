// A feature matrix (one row per image) plus the two row/column normalizations the probes use.

/** Row-major [rows x dim] features with integer labels (indices into a class list). */
export interface Features {
  rows: number;
  dim: number;
  data: Float32Array;
}

export interface Labelled extends Features {
  labels: Int32Array;
}

/** Per-column mean and population std (ddof 0, as scikit-learn's StandardScaler). */
export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

export function fitStandardizer(f: Features): Standardizer {
  const { rows, dim, data } = f;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    const off = i * dim;
    for (let j = 0; j < dim; j++) mean[j] += data[off + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= rows;
  // Two-pass variance: one-pass sum of squares loses digits when |mean| >> std.
  for (let i = 0; i < rows; i++) {
    const off = i * dim;
    for (let j = 0; j < dim; j++) {
      const c = data[off + j] - mean[j];
      sq[j] += c * c;
    }
  }
  const std = new Float64Array(dim);
  // A constant column carries no information; std 1 keeps it at 0 instead of dividing by 0.
  for (let j = 0; j < dim; j++) std[j] = Math.sqrt(sq[j] / rows) || 1;
  return { mean, std };
}

/** (x - mean) / std per column, as a new float64 matrix (the probe's working precision). */
export function standardize(f: Features, s: Standardizer): Float64Array {
  const { rows, dim, data } = f;
  const out = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const off = i * dim;
    for (let j = 0; j < dim; j++) out[off + j] = (data[off + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

/** Rows scaled to unit L2 norm (cosine similarity becomes a dot product); zero rows stay zero. */
export function l2NormalizeRows(f: Features): Float32Array {
  const { rows, dim, data } = f;
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const off = i * dim;
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += data[off + j] * data[off + j];
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < dim; j++) out[off + j] = data[off + j] * inv;
  }
  return out;
}
