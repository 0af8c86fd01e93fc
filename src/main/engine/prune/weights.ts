// Float parameter edits for pruning: zeroing units and removing indices on several axes at once.
// One pass per tensor, a gather over precomputed offsets: slicing axis by axis with a copy call per
// block took 3.6 s on ResNet-50 (millions of 9-float blocks of 3x3 kernels).
import { tensorToFloat32, type TensorProto } from '../onnx/index.js';

/** Zeroes indices [u*block, (u+1)*block) of `axis` for each unit u, in place. */
export function zeroUnits(data: Float32Array, dims: number[], axis: number, units: number[], block: number): void {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  for (const u of units) {
    for (let k = u * block; k < (u + 1) * block; k++) {
      for (let o = 0; o < outer; o++) data.fill(0, (o * dims[axis] + k) * inner, (o * dims[axis] + k + 1) * inner);
    }
  }
}

/** Keeps, on each axis with a `keep` list, only those indices (ascending); other axes are whole. */
export function sliceAxes(
  src: Float32Array,
  dims: number[],
  keep: (number[] | undefined)[],
): { data: Float32Array; dims: number[] } {
  const outDims = dims.map((d, a) => keep[a]?.length ?? d);
  let last = -1;
  keep.forEach((k, a) => {
    if (k) last = a;
  });
  if (last < 0) return { data: src, dims };
  const lists = dims.slice(0, last).map((d, a) => keep[a] ?? Array.from({ length: d }, (_, i) => i));
  const stride = dims.map((_, a) => dims.slice(a + 1).reduce((x, y) => x * y, 1));
  const inner = stride[last];
  // Offsets (from a block's start) of the values kept along the last sliced axis: every block of
  // the axes before it is then one gather loop (kernels are 1x1 or 3x3, so runs are short).
  const kept = keep[last]!;
  const offsets = new Int32Array(kept.length * inner);
  kept.forEach((i, k) => {
    for (let s = 0; s < inner; s++) offsets[k * inner + s] = i * inner + s;
  });
  const out = new Float32Array(outDims.reduce((x, y) => x * y, 1));
  const pos = new Array<number>(last).fill(0);
  for (let o = 0; o < out.length;) {
    let base = 0;
    for (let a = 0; a < last; a++) base += lists[a][pos[a]] * stride[a];
    for (let k = 0; k < offsets.length; k++) out[o++] = src[base + offsets[k]];
    for (let a = last - 1; a >= 0 && ++pos[a] === lists[a].length; a--) pos[a] = 0;
  }
  return { data: out, dims: outDims };
}

const floats = new WeakMap<TensorProto, Float32Array>();

/**
 * A weight's values, read once per tensor: most of a decoded file's tensors sit unaligned in its
 * buffer, so each tensorToFloat32 copies them, and pruning reads a weight twice (its norms, then the
 * slicing). Read-only, like tensorToFloat32's views.
 */
export function weightValues(t: TensorProto): Float32Array {
  let v = floats.get(t);
  if (!v) floats.set(t, (v = tensorToFloat32(t)));
  return v;
}
