// Separable resampling with a triangle filter: plain bilinear when enlarging and an antialiased
// (area-aware) bilinear when shrinking, the same weights as PyTorch's
// interpolate(mode='bilinear', align_corners=False, antialias=True) and PIL's BILINEAR resize.
// Without the antialiasing, shrinking large images or crops to a small model input would alias.
import type { RawImage } from './image.js';

/** A rectangle of source pixels (integer coordinates). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

const INV255 = 1 / 255;

/**
 * Filter taps along one axis: output o reads `taps` source pixels from first[o] with weights at
 * o * taps. Every output gets the same tap count (short ones padded with zero weights, their start
 * moved left to stay inside the image) so the inner loops have a fixed trip count.
 */
interface AxisTaps {
  first: Int32Array;
  weights: Float32Array;
  taps: number;
}

/** `gain` is folded into the weights (the 1/255 byte scaling costs nothing that way). */
function computeTaps(inSize: number, outSize: number, flip: boolean, gain: number): AxisTaps {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  // hi - lo below spans at most ceil(2 * support) pixels (2 when enlarging).
  const taps = Math.min(Math.ceil(2 * support), inSize);
  const first = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const start = Math.min(lo, inSize - taps);
    const dst = flip ? outSize - 1 - o : o;
    const at = dst * taps;
    let total = 0;
    for (let k = 0; k < taps; k++) {
      const j = start + k;
      const w = j < lo || j >= hi ? 0 : Math.max(0, 1 - Math.abs((j - centre + 0.5) / support));
      weights[at + k] = w;
      total += w;
    }
    for (let k = 0; k < taps; k++) weights[at + k] *= gain / total;
    first[dst] = start;
  }
  return { first, weights, taps };
}

/**
 * Tap tables by (input size, output size, flip) for one gain. Views of a data set repeat the same
 * few crop sizes thousands of times, so recomputing the tables per view was a tenth of its cost;
 * the bound keeps memory flat when every image has another size (folders of photos).
 */
class TapCache {
  private readonly tables = new Map<number, AxisTaps>();
  constructor(private readonly gain: number) {}

  get(inSize: number, outSize: number, flip: boolean): AxisTaps {
    const key = (inSize * 0x10000 + outSize) * 2 + (flip ? 1 : 0);
    let t = this.tables.get(key);
    if (!t) {
      if (this.tables.size >= 256) this.tables.clear();
      t = computeTaps(inSize, outSize, flip, this.gain);
      this.tables.set(key, t);
    }
    return t;
  }
}

const xCache = new TapCache(INV255);
const yCache = new TapCache(1);
/** Horizontally filtered rows of the region, planar per channel (reused across calls). */
let rows = new Float32Array(0);

/**
 * Resamples `region` of `img` to outW x outH as planar [0,1] floats into `planes`
 * (img.channels planes). `flip` mirrors the output horizontally (folded into the taps).
 */
export function resample(
  img: RawImage,
  region: Region,
  flip: boolean,
  outW: number,
  outH: number,
  planes: Float32Array,
): void {
  if (!flip && region.width === outW && region.height === outH) {
    copyRegion(img, region, planes);
    return;
  }
  const C = img.channels;
  const rh = region.height;
  if (rows.length < C * rh * outW) rows = new Float32Array(C * rh * outW);
  filterRows(img, region, xCache.get(region.width, outW, flip), rows);
  filterColumns(rows, C, rh, yCache.get(rh, outH, false), outW, planes);
}

// Enlarging (the usual case for views: a crop smaller than the model input) gives every output
// exactly 2 taps; the fixed-trip loops below let V8 drop the inner tap loop and its bounds
// bookkeeping, which roughly halves the cost of resampling small images.

/** Horizontal pass: region rows of `img` -> one filtered value per output column, planar per channel. */
function filterRows(img: RawImage, region: Region, xTaps: AxisTaps, out: Float32Array): void {
  const { width: W, channels: C, data } = img;
  const rh = region.height;
  const { first: xf, weights: xw, taps: xt } = xTaps;
  const outW = xf.length;
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rh; r++) {
      const src = ((region.y + r) * W + region.x) * C + c;
      const dst = (c * rh + r) * outW;
      if (xt === 2) {
        for (let x = 0; x < outW; x++) {
          const i = src + xf[x] * C;
          out[dst + x] = xw[2 * x] * data[i] + xw[2 * x + 1] * data[i + C];
        }
        continue;
      }
      for (let x = 0, b = 0; x < outW; x++) {
        let s = 0;
        for (let k = 0, i = src + xf[x] * C; k < xt; k++, i += C) s += xw[b++] * data[i];
        out[dst + x] = s;
      }
    }
  }
}

/** Vertical pass: `rh` filtered rows per channel -> the output rows of each plane of `planes`. */
function filterColumns(
  rowsIn: Float32Array,
  C: number,
  rh: number,
  yTaps: AxisTaps,
  outW: number,
  planes: Float32Array,
): void {
  const { first: yf, weights: yw, taps: yt } = yTaps;
  const outH = yf.length;
  const plane = outW * outH;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < outH; y++) {
      const o = c * plane + y * outW;
      let src = (c * rh + yf[y]) * outW;
      if (yt === 2) {
        const w0 = yw[2 * y];
        const w1 = yw[2 * y + 1];
        for (let x = 0; x < outW; x++) planes[o + x] = w0 * rowsIn[src + x] + w1 * rowsIn[src + outW + x];
        continue;
      }
      let w = yw[y * yt];
      for (let x = 0; x < outW; x++) planes[o + x] = w * rowsIn[src + x];
      for (let k = 1; k < yt; k++) {
        src += outW;
        w = yw[y * yt + k];
        for (let x = 0; x < outW; x++) planes[o + x] += w * rowsIn[src + x];
      }
    }
  }
}

/** The common no-resize case (plain preprocessing at the model's size): de-interleave and scale. */
function copyRegion(img: RawImage, region: Region, planes: Float32Array): void {
  const { width: W, channels: C, data } = img;
  const plane = region.width * region.height;
  for (let c = 0; c < C; c++) {
    let o = c * plane;
    for (let y = 0; y < region.height; y++) {
      let i = ((region.y + y) * W + region.x) * C + c;
      for (let x = 0; x < region.width; x++, i += C) planes[o++] = data[i] * INV255;
    }
  }
}
