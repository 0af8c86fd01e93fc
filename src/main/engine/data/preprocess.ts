// Raw 8-bit images -> NCHW float32 model input: bilinear resize, gray<->RGB, [0,1] scaling, mean/std.
// Everything goes through one planar float scratch buffer so views (views.ts) and plain
// preprocessing share the same resampling and normalization code.
import { MemLensError } from '../errors.js';
import { LUMA_B, LUMA_G, LUMA_R, type RawImage } from './image.js';

/** What the model takes: channel count, size and the normalization applied after scaling to [0,1]. */
export interface TensorSpec {
  channels: number;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

/** A rectangle of source pixels (integer coordinates). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Reusable per-call buffers; grown on demand so steady-state batches allocate nothing. */
class Scratch {
  planes = new Float32Array(0);
  x0 = new Int32Array(0);
  x1 = new Int32Array(0);
  wx = new Float32Array(0);

  ensure(planeFloats: number, width: number): void {
    if (this.planes.length < planeFloats) this.planes = new Float32Array(planeFloats);
    if (this.x0.length < width) {
      this.x0 = new Int32Array(width);
      this.x1 = new Int32Array(width);
      this.wx = new Float32Array(width);
    }
  }
}
const scratch = new Scratch();

/** Per-channel scale/offset so that normalization is one multiply-add: (v - mean) / std. */
export interface Affine {
  scale: Float32Array;
  offset: Float32Array;
}

export function normalization(spec: TensorSpec): Affine {
  const { channels, mean, std } = spec;
  if (channels !== 1 && channels !== 3) {
    throw new MemLensError('UNSUPPORTED', `model input has ${channels} channels; only 1 (gray) or 3 (RGB) are supported`);
  }
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (v.length !== 1 && v.length !== channels) {
      throw new MemLensError('BAD_INPUT', `${name} has ${v.length} values but the model takes ${channels} channels`);
    }
  }
  const scale = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = std.length === 1 ? std[0] : std[c];
    const m = mean.length === 1 ? mean[0] : mean[c];
    if (!(s > 0)) throw new MemLensError('BAD_INPUT', `std values must be positive, got ${s}`);
    scale[c] = 1 / s;
    offset[c] = -m / s;
  }
  return { scale, offset };
}

/**
 * Bilinear resampling of `region` of `img` to outW x outH, as planar [0,1] floats into
 * `planes` (img.channels planes). Half-pixel centres and edge clamping, i.e. PyTorch's
 * interpolate(mode='bilinear', align_corners=False) without antialiasing. `flip` mirrors
 * the output horizontally (the flip is folded into the column table: no extra pass).
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
  const plane = outW * outH;
  scratch.ensure(0, outW);
  const { x0, x1, wx } = scratch;
  const sx = region.width / outW;
  for (let x = 0; x < outW; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), region.width - 1);
    const i0 = Math.floor(fx);
    const dst = flip ? outW - 1 - x : x;
    x0[dst] = (region.x + i0) * C;
    x1[dst] = (region.x + Math.min(i0 + 1, region.width - 1)) * C;
    wx[dst] = fx - i0;
  }
  const sy = region.height / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), region.height - 1);
    const j0 = Math.floor(fy);
    const wy = fy - j0;
    const r0 = (region.y + j0) * W * C;
    const r1 = (region.y + Math.min(j0 + 1, region.height - 1)) * W * C;
    for (let c = 0; c < C; c++) {
      const o = c * plane + y * outW;
      const t0 = r0 + c;
      const t1 = r1 + c;
      for (let x = 0; x < outW; x++) {
        const a = x0[x];
        const b = x1[x];
        const w = wx[x];
        const top = data[t0 + a] * (1 - w) + data[t0 + b] * w;
        const bot = data[t1 + a] * (1 - w) + data[t1 + b] * w;
        planes[o + x] = (top + (bot - top) * wy) * INV255;
      }
    }
  }
}

const INV255 = 1 / 255;

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

/**
 * Writes planar [0,1] floats with `srcChannels` planes into `out` at `offset` (one CHW image),
 * converting channels (gray -> RGB replicates, RGB -> gray is BT.601 luma) and normalizing.
 */
export function writeNormalized(
  planes: Float32Array,
  srcChannels: number,
  plane: number,
  norm: Affine,
  out: Float32Array,
  offset: number,
): void {
  const dstChannels = norm.scale.length;
  if (srcChannels === 3 && dstChannels === 1) {
    const s = norm.scale[0];
    const b = norm.offset[0];
    for (let i = 0; i < plane; i++) {
      const v = LUMA_R * planes[i] + LUMA_G * planes[plane + i] + LUMA_B * planes[2 * plane + i];
      out[offset + i] = v * s + b;
    }
    return;
  }
  for (let c = 0; c < dstChannels; c++) {
    const src = srcChannels === 1 ? 0 : c * plane;
    const dst = offset + c * plane;
    const s = norm.scale[c];
    const b = norm.offset[c];
    for (let i = 0; i < plane; i++) out[dst + i] = planes[src + i] * s + b;
  }
}

/** The float scratch for one image of `channels` planes of `plane` pixels (reused across calls). */
export function scratchPlanes(channels: number, plane: number, width: number): Float32Array {
  scratch.ensure(channels * plane, width);
  return scratch.planes;
}

/** Checks `out` (or allocates it) for `count` images of `spec`. */
export function outputBuffer(count: number, spec: TensorSpec, out?: Float32Array): Float32Array {
  const need = count * spec.channels * spec.height * spec.width;
  if (!out) return new Float32Array(need);
  if (out.length < need) {
    throw new MemLensError('BAD_INPUT', `output buffer holds ${out.length} floats, ${need} needed`);
  }
  return out;
}

/** NCHW float32 model input for `images` (resized, channel-converted, normalized). */
export function toTensor(images: RawImage[], spec: TensorSpec, out?: Float32Array): Float32Array {
  const norm = normalization(spec);
  const dst = outputBuffer(images.length, spec, out);
  const plane = spec.height * spec.width;
  const stride = spec.channels * plane;
  for (let n = 0; n < images.length; n++) {
    const img = images[n];
    const planes = scratchPlanes(img.channels, plane, spec.width);
    const full = { x: 0, y: 0, width: img.width, height: img.height };
    resample(img, full, false, spec.width, spec.height, planes);
    writeNormalized(planes, img.channels, plane, norm, dst, n * stride);
  }
  return dst;
}
