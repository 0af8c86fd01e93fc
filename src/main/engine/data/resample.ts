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

/** Filter taps along one axis: output o reads count[o] source pixels from first[o], weights at o * stride. */
class AxisTaps {
  first = new Int32Array(0);
  count = new Int32Array(0);
  weights = new Float32Array(0);
  stride = 0;

  /** `gain` is folded into the weights (the 1/255 byte scaling costs nothing that way). */
  compute(inSize: number, outSize: number, flip: boolean, gain: number): void {
    const scale = inSize / outSize;
    const support = Math.max(scale, 1);
    this.stride = 2 * Math.ceil(support) + 1;
    if (this.first.length < outSize) {
      this.first = new Int32Array(outSize);
      this.count = new Int32Array(outSize);
    }
    if (this.weights.length < outSize * this.stride) this.weights = new Float32Array(outSize * this.stride);
    const { first, count, weights, stride } = this;
    for (let o = 0; o < outSize; o++) {
      const centre = (o + 0.5) * scale;
      const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
      const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
      const dst = flip ? outSize - 1 - o : o;
      let total = 0;
      for (let j = lo; j < hi; j++) {
        const w = Math.max(0, 1 - Math.abs((j - centre + 0.5) / support));
        weights[dst * stride + j - lo] = w;
        total += w;
      }
      for (let j = lo; j < hi; j++) weights[dst * stride + j - lo] *= gain / total;
      first[dst] = lo;
      count[dst] = hi - lo;
    }
  }
}

const xTaps = new AxisTaps();
const yTaps = new AxisTaps();
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
  const { width: W, channels: C, data } = img;
  const rh = region.height;
  xTaps.compute(region.width, outW, flip, INV255);
  yTaps.compute(rh, outH, false, 1);
  if (rows.length < C * rh * outW) rows = new Float32Array(C * rh * outW);
  const { first: xf, count: xn, weights: xw, stride: xs } = xTaps;
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rh; r++) {
      const src = ((region.y + r) * W + region.x) * C + c;
      const dst = (c * rh + r) * outW;
      for (let x = 0; x < outW; x++) {
        let s = 0;
        const b = x * xs;
        let i = src + xf[x] * C;
        for (let k = 0; k < xn[x]; k++, i += C) s += xw[b + k] * data[i];
        rows[dst + x] = s;
      }
    }
  }
  const { first: yf, count: yn, weights: yw, stride: ys } = yTaps;
  const plane = outW * outH;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < outH; y++) {
      const o = c * plane + y * outW;
      const b = y * ys;
      let src = (c * rh + yf[y]) * outW;
      let w = yw[b];
      for (let x = 0; x < outW; x++) planes[o + x] = w * rows[src + x];
      for (let k = 1; k < yn[y]; k++) {
        src += outW;
        w = yw[b + k];
        for (let x = 0; x < outW; x++) planes[o + x] += w * rows[src + x];
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
