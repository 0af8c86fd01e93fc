import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AugmentSettings } from '../../../src/shared/api.js';
import type { RawImage } from '../../../src/main/engine/data/image.js';
import { toTensor } from '../../../src/main/engine/data/preprocess.js';
import { Random } from '../../../src/main/engine/data/random.js';
import {
  DEFAULT_AUGMENT,
  makeView,
  renderView,
  resolveAugment,
  sampleViewParams,
  viewImage,
  viewsToTensor,
  type ViewKey,
  type ViewParams,
} from '../../../src/main/engine/data/views.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/data/torchvision_views.json', import.meta.url), 'utf8'),
);
const fixtureImage = (name: string): RawImage => {
  const i = fixture.images[name];
  return { width: i.width, height: i.height, channels: i.channels, data: Uint8Array.from(i.data) };
};

/** A Random whose next() replays fixed draws (uniform/int are built on next()). */
class Scripted extends Random {
  constructor(private draws: number[]) {
    super(0);
  }
  override next(): number {
    const v = this.draws.shift();
    if (v === undefined) throw new Error('ran out of scripted draws');
    return v;
  }
}

/** A 4x3 gray image whose pixel (x, y) is 10 * (y * 4 + x). */
const ramp: RawImage = { width: 4, height: 3, channels: 1, data: Uint8Array.from({ length: 12 }, (_, i) => 10 * i) };
const spec = (channels: number, size: number) => ({ channels, height: size, width: size, mean: [0], std: [1] });

function randomImages(n: number, w: number, h: number, channels: 1 | 3): RawImage[] {
  const rng = new Random(99);
  return Array.from({ length: n }, () => ({
    width: w,
    height: h,
    channels,
    data: Uint8Array.from({ length: w * h * channels }, () => rng.int(256)),
  }));
}

describe('sampleViewParams', () => {
  it('draws the crop, flip, jitter and grayscale the way torchvision does', () => {
    // 28x28: area 784. scale draw 0.5 -> target = 784*(0.08+0.92*0.5) = 423.36; ratio draw 0.5 ->
    // exp(0) = 1 -> w = h = round(20.576) = 21; y = floor(0.25*8) = 2, x = floor(0.9*8) = 7.
    // flip 0.3 < 0.5; jitter 0.1 < 0.8; order draws (Fisher-Yates from the end):
    // i=3: int(4*0.0)=0 -> [3,1,2,0]; i=2: int(3*0.99)=2 -> same; i=1: int(2*0.0)=0 -> [1,3,2,0];
    // factors in that order: contrast 0.6+0.8*0.5=1.0, hue -0.1+0.2*0.75=0.05, saturation 0.6, brightness 1.4-eps;
    // grayscale 0.5 >= 0.2 -> no.
    const rng = new Scripted([0.5, 0.5, 0.25, 0.9, 0.3, 0.1, 0.0, 0.99, 0.0, 0.5, 0.75, 0.0, 0.999999, 0.5]);
    const v = sampleViewParams(28, 28, DEFAULT_AUGMENT, rng);
    expect(v.crop).toEqual({ x: 7, y: 2, width: 21, height: 21 });
    expect(v.flip).toBe(true);
    expect(v.jitter.map((j) => j.op)).toEqual(['contrast', 'hue', 'saturation', 'brightness']);
    expect(v.jitter.map((j) => j.factor)).toEqual([1, 0.05, 0.6, 1.4].map((f) => expect.closeTo(f, 5)));
    expect(v.grayscale).toBe(false);
  });

  it('retries crops that do not fit and falls back to a centre crop after 10 tries', () => {
    // Scale 1 with ratio 4/3 on a 10x10 image gives w = round(sqrt(100*4/3)) = 12 > 10: never fits.
    const tries = Array.from({ length: 10 }, () => [0.999999, 0.999999]).flat();
    const s: AugmentSettings = { ...DEFAULT_AUGMENT, cropScale: [1, 1], flipP: 0, jitterP: 0, grayscaleP: 0 };
    const v = sampleViewParams(10, 10, s, new Scripted([...tries, 0.5, 0.5, 0.5]));
    expect(v.crop).toEqual({ x: 0, y: 0, width: 10, height: 10 });
    // A 20x10 image is wider than 4/3: the fallback keeps the height and crops width round(10*4/3) = 13, centred.
    const wide = sampleViewParams(20, 10, s, new Scripted([...tries, 0.5, 0.5, 0.5]));
    expect(wide.crop).toEqual({ x: 3, y: 0, width: 13, height: 10 });
  });

  it("skips zero-strength jitter steps and returns the identity for kind 'none'", () => {
    const s = { ...DEFAULT_AUGMENT, jitterP: 1, jitter: { brightness: 0.4, contrast: 0, saturation: 0, hue: 0 } };
    const v = sampleViewParams(8, 8, s, new Random(1));
    expect(v.jitter.map((j) => j.op)).toEqual(['brightness']);
    expect(sampleViewParams(5, 3, resolveAugment('none'), new Random(1))).toEqual({
      crop: { x: 0, y: 0, width: 5, height: 3 },
      flip: false,
      jitter: [],
      grayscale: false,
    });
  });
});

describe('rendering a view', () => {
  const plain: ViewParams = { crop: { x: 0, y: 0, width: 4, height: 3 }, flip: false, jitter: [], grayscale: false };

  it('flips horizontally', () => {
    const v = viewImage(ramp, { ...plain, flip: true }, 4, 3);
    expect(Array.from(v.data)).toEqual([30, 20, 10, 0, 70, 60, 50, 40, 110, 100, 90, 80]);
  });

  it('crops exactly when the crop has the output size', () => {
    const v = viewImage(ramp, { ...plain, crop: { x: 1, y: 1, width: 2, height: 2 } }, 2, 2);
    expect(Array.from(v.data)).toEqual([50, 60, 90, 100]);
  });

  it('matches torchvision resized_crop (antialiased) + hflip + jitter + grayscale on float tensors', () => {
    for (const c of fixture.views) {
      const img = fixtureImage(c.image);
      const params: ViewParams = { crop: c.crop, flip: c.flip, jitter: c.jitter, grayscale: c.grayscale };
      const planes = new Float32Array(img.channels * c.width * c.height);
      renderView(img, params, c.width, c.height, planes);
      // 1e-3: float32 rounding, and torchvision's luma weight for red is 0.2989 (ours 0.299).
      planes.forEach((v, i) => expect(v).toBeCloseTo(c.expected[i], 3));
    }
  });

  it('makeView draws its parameters from the given rng', () => {
    const rng = new Scripted([0.999999, 0.5, 0, 0, 0.1, 0.9, 0.9]);
    // cropScale [1,1]: target 12, ratio draw 0.5 -> 1 -> w = h = round(sqrt(12)) = 3; y = 0, x = 0;
    // flip 0.1 < 0.5; no jitter (0.9), no grayscale. The 3x3 crop, mirrored.
    const s: AugmentSettings = { ...DEFAULT_AUGMENT, cropScale: [1, 1] };
    const v = makeView(ramp, s, rng, 3, 3);
    expect(Array.from(v.data)).toEqual([20, 10, 0, 60, 50, 40, 100, 90, 80]);
  });
});

describe('viewsToTensor', () => {
  const images = randomImages(6, 12, 10, 3);
  const keys: ViewKey[] = images.map((_, i) => ({ sample: i, view: i % 2 }));

  it('is deterministic per seed and differs between seeds', () => {
    const a = viewsToTensor(images, keys, DEFAULT_AUGMENT, 5, spec(3, 8));
    const b = viewsToTensor(images, keys, DEFAULT_AUGMENT, 5, spec(3, 8));
    const c = viewsToTensor(images, keys, DEFAULT_AUGMENT, 6, spec(3, 8));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('gives each (sample, view) the same tensor whatever the batch order and size', () => {
    const per = 3 * 8 * 8;
    const whole = viewsToTensor(images, keys, DEFAULT_AUGMENT, 5, spec(3, 8));
    const order = [4, 1, 5, 0, 3, 2];
    const shuffled = viewsToTensor(
      order.map((i) => images[i]),
      order.map((i) => keys[i]),
      DEFAULT_AUGMENT,
      5,
      spec(3, 8),
    );
    order.forEach((i, k) =>
      expect(shuffled.subarray(k * per, (k + 1) * per)).toEqual(whole.subarray(i * per, (i + 1) * per)),
    );
    const single = viewsToTensor([images[3]], [keys[3]], DEFAULT_AUGMENT, 5, spec(3, 8));
    expect(single).toEqual(whole.subarray(3 * per, 4 * per));
  });

  it('keeps values in [0,1] before normalization and applies the normalization after', () => {
    const raw = viewsToTensor(images, keys, DEFAULT_AUGMENT, 1, spec(3, 8));
    expect(Math.min(...raw)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...raw)).toBeLessThanOrEqual(1);
    const norm = viewsToTensor(images, keys, DEFAULT_AUGMENT, 1, { ...spec(3, 8), mean: [0.5], std: [0.25] });
    norm.forEach((v, i) => expect(v).toBeCloseTo((raw[i] - 0.5) / 0.25, 4));
  });

  it('renders gray sources for RGB models and RGB sources for gray models', () => {
    const grayImgs = randomImages(2, 9, 9, 1);
    const k2 = [
      { sample: 0, view: 0 },
      { sample: 1, view: 3 },
    ];
    const asRgb = viewsToTensor(grayImgs, k2, DEFAULT_AUGMENT, 2, spec(3, 5));
    const asGray = viewsToTensor(grayImgs, k2, DEFAULT_AUGMENT, 2, spec(1, 5));
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        expect(asRgb.subarray(n * 75 + c * 25, n * 75 + (c + 1) * 25)).toEqual(asGray.subarray(n * 25, (n + 1) * 25));
      }
    }
    const rgbToGray = viewsToTensor(images.slice(0, 1), keys.slice(0, 1), DEFAULT_AUGMENT, 2, spec(1, 8));
    const rgb = viewsToTensor(images.slice(0, 1), keys.slice(0, 1), DEFAULT_AUGMENT, 2, spec(3, 8));
    for (let i = 0; i < 64; i++) {
      expect(rgbToGray[i]).toBeCloseTo(0.299 * rgb[i] + 0.587 * rgb[64 + i] + 0.114 * rgb[128 + i], 5);
    }
  });

  it("uses the images as given with augment 'none'", () => {
    const none = viewsToTensor(images, keys, resolveAugment('none'), 5, spec(3, 8));
    expect(none).toEqual(toTensor(images, spec(3, 8)));
  });

  it('draws every view setting with about its probability', () => {
    // 2000 views: flip ~ 0.5, jitter ~ 0.8, grayscale ~ 0.2 (3 sigma ~ 0.035), crop area within the scale range.
    const rng = new Random(0);
    let flips = 0;
    let jitters = 0;
    let grays = 0;
    for (let v = 0; v < 2000; v++) {
      const p = sampleViewParams(32, 32, DEFAULT_AUGMENT, rng.reseed(3, 0, v));
      flips += +p.flip;
      jitters += +(p.jitter.length > 0);
      grays += +p.grayscale;
      expect(p.crop.x + p.crop.width).toBeLessThanOrEqual(32);
      expect(p.crop.y + p.crop.height).toBeLessThanOrEqual(32);
      expect(p.crop.width * p.crop.height).toBeGreaterThanOrEqual(0.05 * 1024);
    }
    expect(flips / 2000).toBeCloseTo(0.5, 1);
    expect(jitters / 2000).toBeCloseTo(0.8, 1);
    expect(grays / 2000).toBeCloseTo(0.2, 1);
  });
});

describe('resolveAugment', () => {
  it('fills partial settings from the defaults and validates them', () => {
    expect(resolveAugment()).toEqual(DEFAULT_AUGMENT);
    const s = resolveAugment({ flipP: 0, jitter: { brightness: 0.8 } as AugmentSettings['jitter'] });
    expect(s.flipP).toBe(0);
    expect(s.jitter).toEqual({ brightness: 0.8, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    expect(() => resolveAugment({ cropScale: [0.5, 0.2] })).toThrow(
      'crop scale must satisfy 0 < min <= max <= 1, got [0.5, 0.2]',
    );
    expect(() => resolveAugment({ grayscaleP: 2 })).toThrow('grayscale probability must be in [0, 1], got 2');
    expect(() => resolveAugment({ jitter: { ...DEFAULT_AUGMENT.jitter, hue: 0.7 } })).toThrow(
      /hue must be >= 0 and <= 0.5/,
    );
  });
});
