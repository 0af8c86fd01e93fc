// Raw 8-bit images -> NCHW float32 model input: resize (resample.ts), gray<->RGB, [0,1] scaling, mean/std.
// Everything goes through one planar float scratch buffer so views (views.ts) and plain
// preprocessing share the same resampling and normalization code.
import { MemLensError } from '../errors.js';
import { LUMA_B, LUMA_G, LUMA_R, type RawImage } from './image.js';
import { IDENTITY_MAP, mapPixel, type PixelMap } from './pixel-map.js';
import { resample } from './resample.js';

/** What the model takes: channel count, size and the normalization applied after scaling to [0,1]. */
export interface TensorSpec {
  channels: number;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

/** Reusable float planes for one image; grown on demand so steady-state batches allocate nothing. */
let planesScratch = new Float32Array(0);

/** Per-channel scale/offset so that normalization is one multiply-add: (v - mean) / std. */
export interface Affine {
  scale: Float32Array;
  offset: Float32Array;
}

export function normalization(spec: TensorSpec): Affine {
  const { channels, mean, std } = spec;
  if (channels !== 1 && channels !== 3) {
    throw new MemLensError(
      'UNSUPPORTED',
      `model input has ${channels} channels; only 1 (gray) or 3 (RGB) are supported`,
    );
  }
  for (const [name, v] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
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
 * Writes planar floats with `srcChannels` planes, seen through `map` (a view's pending jitter; it
 * yields [0,1] pixels), into `out` at `offset` (one CHW image), converting channels (gray -> RGB
 * replicates, RGB -> gray is BT.601 luma) and normalizing.
 */
export function writeNormalized(
  planes: Float32Array,
  srcChannels: number,
  plane: number,
  norm: Affine,
  out: Float32Array,
  offset: number,
  map: PixelMap = IDENTITY_MAP,
): void {
  const dstChannels = norm.scale.length;
  const { a, b: shift, lo, hi } = map;
  if (srcChannels === 3 && dstChannels === 1) {
    const s = norm.scale[0];
    const b = norm.offset[0];
    for (let i = 0; i < plane; i++) {
      const v =
        LUMA_R * mapPixel(map, planes[i]) +
        LUMA_G * mapPixel(map, planes[plane + i]) +
        LUMA_B * mapPixel(map, planes[2 * plane + i]);
      out[offset + i] = v * s + b;
    }
    return;
  }
  for (let c = 0; c < dstChannels; c++) {
    const src = srcChannels === 1 ? 0 : c * plane;
    const dst = offset + c * plane;
    const s = norm.scale[c];
    const b = norm.offset[c];
    for (let i = 0; i < plane; i++) {
      const v = a * planes[src + i] + shift; // the map inlined: this is the hot loop of every batch
      out[dst + i] = (v < lo ? lo : v > hi ? hi : v) * s + b;
    }
  }
}

/** The float scratch for one image of `channels` planes of `plane` pixels (reused across calls). */
export function scratchPlanes(channels: number, plane: number): Float32Array {
  if (planesScratch.length < channels * plane) planesScratch = new Float32Array(channels * plane);
  return planesScratch;
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
    const planes = scratchPlanes(img.channels, plane);
    const full = { x: 0, y: 0, width: img.width, height: img.height };
    resample(img, full, false, spec.width, spec.height, planes);
    writeNormalized(planes, img.channels, plane, norm, dst, n * stride);
  }
  return dst;
}
