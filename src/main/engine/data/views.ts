// SimCLR views (Chen et al. 2020, appendix A): random resized crop -> horizontal flip ->
// colour jitter (random order, p=0.8) -> random grayscale, with torchvision's parameter draws.
// The view of (sample i, view v) is drawn from Random(seed, i, v) only, so it never depends on
// batch size or order. Pixels stay in planar float [0,1] from the crop to the normalization.
import type { AugmentSettings } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { LUMA_B, LUMA_G, LUMA_R, type RawImage } from './image.js';
import {
  normalization,
  outputBuffer,
  scratchPlanes,
  toTensor,
  writeNormalized,
  type TensorSpec,
} from './preprocess.js';
import { applyMap, IDENTITY_MAP, mapPixel, thenClamped01, type PixelMap } from './pixel-map.js';
import { Random, shuffle } from './random.js';
import { resample, type Region } from './resample.js';

/** The "normal" SimCLR set the paper's encoders were trained with (torchvision's usual values). Frozen: shared. */
export const DEFAULT_AUGMENT: AugmentSettings = Object.freeze({
  kind: 'simclr',
  cropScale: Object.freeze([0.08, 1]) as [number, number],
  flipP: 0.5,
  jitterP: 0.8,
  jitter: Object.freeze({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
  grayscaleP: 0.2,
});

/** torchvision RandomResizedCrop's default aspect-ratio range. */
const CROP_RATIO: [number, number] = [3 / 4, 4 / 3];

export type JitterOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
const JITTER_OPS: JitterOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

/** Everything random about one view, drawn up front so it can be tested and logged. */
export interface ViewParams {
  crop: Region;
  flip: boolean;
  /** Jitter steps in application order; empty when jitter was not applied. */
  jitter: { op: JitterOp; factor: number }[];
  grayscale: boolean;
}

/** Full settings from a request's `augment` (a kind name or a partial override of the defaults). */
export function resolveAugment(a?: Partial<AugmentSettings> | 'simclr' | 'none'): AugmentSettings {
  if (a === undefined || a === 'simclr') return DEFAULT_AUGMENT;
  if (a === 'none') return { ...DEFAULT_AUGMENT, kind: 'none' };
  const s: AugmentSettings = {
    ...DEFAULT_AUGMENT,
    ...a,
    jitter: { ...DEFAULT_AUGMENT.jitter, ...a.jitter },
  };
  const [lo, hi] = s.cropScale;
  if (!(lo > 0 && lo <= hi && hi <= 1)) {
    throw new MemLensError('BAD_INPUT', `crop scale must satisfy 0 < min <= max <= 1, got [${lo}, ${hi}]`);
  }
  for (const [name, p] of [
    ['flip', s.flipP],
    ['jitter', s.jitterP],
    ['grayscale', s.grayscaleP],
  ] as const) {
    if (!(p >= 0 && p <= 1)) throw new MemLensError('BAD_INPUT', `${name} probability must be in [0, 1], got ${p}`);
  }
  for (const op of JITTER_OPS) {
    const v = s.jitter[op];
    if (!(v >= 0) || (op === 'hue' && v > 0.5)) {
      throw new MemLensError('BAD_INPUT', `jitter ${op} must be >= 0${op === 'hue' ? ' and <= 0.5' : ''}, got ${v}`);
    }
  }
  return s;
}

/** torchvision RandomResizedCrop.get_params: 10 tries at a random area and aspect, then a centre crop. */
function sampleCrop(width: number, height: number, scale: [number, number], rng: Random): Region {
  const area = width * height;
  const logLo = Math.log(CROP_RATIO[0]);
  const logHi = Math.log(CROP_RATIO[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const ratio = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.int(height - h + 1);
      const x = rng.int(width - w + 1);
      return { x, y, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < CROP_RATIO[0]) h = Math.round(w / CROP_RATIO[0]);
  else if (inRatio > CROP_RATIO[1]) w = Math.round(h * CROP_RATIO[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

/** Draws the parameters of one SimCLR view of a width x height image. */
export function sampleViewParams(width: number, height: number, s: AugmentSettings, rng: Random): ViewParams {
  if (s.kind === 'none') return { crop: { x: 0, y: 0, width, height }, flip: false, jitter: [], grayscale: false };
  const crop = sampleCrop(width, height, s.cropScale, rng);
  const flip = rng.next() < s.flipP;
  const jitter: ViewParams['jitter'] = [];
  if (rng.next() < s.jitterP) {
    // ColorJitter.get_params: a random order of the four steps, then one factor per step.
    for (const k of shuffle([0, 1, 2, 3], rng)) {
      const op = JITTER_OPS[k];
      const strength = s.jitter[op];
      if (strength === 0) continue;
      const factor =
        op === 'hue' ? rng.uniform(-strength, strength) : rng.uniform(Math.max(0, 1 - strength), 1 + strength);
      jitter.push({ op, factor });
    }
  }
  const grayscale = rng.next() < s.grayscaleP;
  return { crop, flip, jitter, grayscale };
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Mean luma of planar [0,1] pixels seen through `m` (the contrast step blends towards it). */
function meanGray(p: Float32Array, channels: number, n: number, m: PixelMap): number {
  let sum = 0;
  if (channels === 1) for (let i = 0; i < n; i++) sum += mapPixel(m, p[i]);
  else {
    for (let i = 0; i < n; i++) {
      sum += LUMA_R * mapPixel(m, p[i]) + LUMA_G * mapPixel(m, p[n + i]) + LUMA_B * mapPixel(m, p[2 * n + i]);
    }
  }
  return sum / n;
}

/** One HSV -> RGB channel without branching on the sector: n = 5 (R), 3 (G), 1 (B); h6 in [0, 6). */
function hsvChannel(n: number, h6: number, s: number, v: number): number {
  let k = n + h6;
  if (k >= 6) k -= 6; // (n + h6) mod 6 without a float modulo (slow in V8)
  const ramp = k < 1 ? k : 4 - k < 1 ? 4 - k : 1;
  return v - v * s * (ramp > 0 ? ramp : 0);
}

/** torchvision adjust_hue on float RGB: rotate the HSV hue by `shift` (in turns). */
function shiftHue(p: Float32Array, n: number, shift: number): void {
  for (let i = 0; i < n; i++) {
    const r = p[i];
    const g = p[n + i];
    const b = p[2 * n + i];
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const chroma = max - min;
    if (chroma === 0) continue; // gray pixel: hue is undefined and the rotation is a no-op
    let h: number;
    if (max === r) h = (g - b) / chroma;
    else if (max === g) h = 2 + (b - r) / chroma;
    else h = 4 + (r - g) / chroma;
    h = h / 6 + shift;
    const h6 = (h - Math.floor(h)) * 6;
    const sat = chroma / max;
    p[i] = hsvChannel(5, h6, sat, max);
    p[n + i] = hsvChannel(3, h6, sat, max);
    p[2 * n + i] = hsvChannel(1, h6, sat, max);
  }
}

/**
 * Applies the jitter steps to planar [0,1] floats (torchvision's float-tensor formulas). Brightness
 * and contrast are composed into the returned map, which the caller still has to apply (see
 * pixel-map.ts); saturation and hue, which mix channels, first apply it in place.
 */
function jitter(p: Float32Array, channels: number, n: number, steps: ViewParams['jitter']): PixelMap {
  let m: PixelMap = IDENTITY_MAP;
  for (const { op, factor: f } of steps) {
    if (op === 'brightness') {
      m = thenClamped01(m, f, 0);
    } else if (op === 'contrast') {
      m = thenClamped01(m, f, (1 - f) * meanGray(p, channels, n, m));
    } else if (channels === 1) {
      continue; // saturation and hue leave gray images unchanged (as in torchvision)
    } else {
      if (m !== IDENTITY_MAP) applyMap(p, channels * n, m);
      m = IDENTITY_MAP;
      if (op === 'saturation') saturate(p, n, f);
      else shiftHue(p, n, f);
    }
  }
  return m;
}

function saturate(p: Float32Array, n: number, f: number): void {
  for (let i = 0; i < n; i++) {
    const g = (1 - f) * (LUMA_R * p[i] + LUMA_G * p[n + i] + LUMA_B * p[2 * n + i]);
    p[i] = clamp01(p[i] * f + g);
    p[n + i] = clamp01(p[n + i] * f + g);
    p[2 * n + i] = clamp01(p[2 * n + i] * f + g);
  }
}

/** RandomGrayscale on RGB: every channel becomes the luma (still 3 channels). */
function toGrayInPlace(p: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = LUMA_R * p[i] + LUMA_G * p[n + i] + LUMA_B * p[2 * n + i];
    p[i] = g;
    p[n + i] = g;
    p[2 * n + i] = g;
  }
}

/**
 * Renders one view of `img` into planar floats of outW x outH (img.channels planes); the returned
 * map still has to be applied to them to get the view's [0,1] pixels.
 */
function renderPending(img: RawImage, v: ViewParams, outW: number, outH: number, planes: Float32Array): PixelMap {
  const n = outW * outH;
  resample(img, v.crop, v.flip, outW, outH, planes);
  const m = jitter(planes, img.channels, n, v.jitter);
  if (!v.grayscale || img.channels !== 3) return m;
  applyMap(planes, 3 * n, m);
  toGrayInPlace(planes, n);
  return IDENTITY_MAP;
}

/** Renders one view of `img` into planar [0,1] floats of outW x outH (img.channels planes). */
export function renderView(img: RawImage, v: ViewParams, outW: number, outH: number, planes: Float32Array): void {
  const m = renderPending(img, v, outW, outH, planes);
  if (m !== IDENTITY_MAP) applyMap(planes, img.channels * outW * outH, m);
}

/** One view as an 8-bit image of outW x outH (for display and tests; batches use viewsToTensor). */
export function makeView(img: RawImage, s: AugmentSettings, rng: Random, outW: number, outH: number): RawImage {
  return viewImage(img, sampleViewParams(img.width, img.height, s, rng), outW, outH);
}

/** The view with the given parameters as an 8-bit image of outW x outH. */
export function viewImage(img: RawImage, v: ViewParams, outW: number, outH: number): RawImage {
  const n = outW * outH;
  const planes = new Float32Array(img.channels * n);
  renderView(img, v, outW, outH, planes);
  const data = new Uint8Array(img.channels * n);
  for (let c = 0; c < img.channels; c++) {
    for (let i = 0; i < n; i++) data[i * img.channels + c] = Math.round(planes[c * n + i] * 255);
  }
  return { width: outW, height: outH, channels: img.channels, data };
}

/** Which view of which sample (sample = its index in the source, not its place in the batch). */
export interface ViewKey {
  sample: number;
  view: number;
}

const viewRng = new Random(0);

/**
 * NCHW float32 batch of views: images[k] rendered as view keys[k].view of sample keys[k].sample,
 * normalized per `spec`, written straight into `out`. With augment kind 'none' the images are
 * used as given (plain toTensor).
 */
export function viewsToTensor(
  images: RawImage[],
  keys: ViewKey[],
  augment: AugmentSettings,
  seed: number,
  spec: TensorSpec,
  out?: Float32Array,
): Float32Array {
  if (augment.kind === 'none') return toTensor(images, spec, out);
  if (keys.length !== images.length) {
    throw new MemLensError('BAD_INPUT', `${images.length} images but ${keys.length} view keys`);
  }
  const norm = normalization(spec);
  const dst = outputBuffer(images.length, spec, out);
  const plane = spec.height * spec.width;
  for (let k = 0; k < images.length; k++) {
    const img = images[k];
    const v = sampleViewParams(img.width, img.height, augment, viewRng.reseed(seed, keys[k].sample, keys[k].view));
    const planes = scratchPlanes(img.channels, plane);
    const m = renderPending(img, v, spec.width, spec.height, planes);
    writeNormalized(planes, img.channels, plane, norm, dst, k * spec.channels * plane, m);
  }
  return dst;
}
