import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../../src/main/engine/data/image.js';
import { toTensor } from '../../../src/main/engine/data/preprocess.js';
import { MemLensError } from '../../../src/main/engine/errors.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/data/torchvision_views.json', import.meta.url), 'utf8'),
);
const fixtureImage = (name: string): RawImage => {
  const i = fixture.images[name];
  return { width: i.width, height: i.height, channels: i.channels, data: Uint8Array.from(i.data) };
};
const gray = (width: number, height: number, data: number[]): RawImage => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(data),
});
const identity = (channels: number, height: number, width: number) => ({
  channels,
  height,
  width,
  mean: [0],
  std: [1],
});

describe('toTensor', () => {
  it('scales to [0,1] and applies per-channel mean/std in CHW order', () => {
    // 1x2 RGB: pixels (255, 0, 51) and (102, 204, 0).
    const img: RawImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 51, 102, 204, 0]) };
    const t = toTensor([img], { channels: 3, height: 1, width: 2, mean: [0.5, 0.4, 0.1], std: [0.5, 0.2, 0.1] });
    // R: (1-0.5)/0.5, (0.4-0.5)/0.5; G: (0-0.4)/0.2, (0.8-0.4)/0.2; B: (0.2-0.1)/0.1, (0-0.1)/0.1
    expect(Array.from(t)).toEqual([1, -0.2, -2, 2, 1, -1].map((v) => expect.closeTo(v, 5)));
  });

  it('broadcasts a single mean/std to every channel', () => {
    const t = toTensor([gray(2, 1, [0, 255])], { channels: 3, height: 1, width: 2, mean: [0.5], std: [0.25] });
    expect(Array.from(t)).toEqual([-2, 2, -2, 2, -2, 2].map((v) => expect.closeTo(v, 5)));
  });

  it('converts RGB to gray with BT.601 luma', () => {
    const img: RawImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0, 10, 20, 30]) };
    const t = toTensor([img], identity(1, 1, 2));
    expect(t[0]).toBeCloseTo(0.299, 5);
    expect(t[1]).toBeCloseTo((0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255, 5);
  });

  it('enlarges a 2x2 pattern to 4x4 bilinearly with half-pixel centres', () => {
    // Source [[0, 255], [255, 0]]: output columns sample x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1),
    // so weights along each axis are 0, 0.25, 0.75, 1; value = a(1-u)(1-v)+b u(1-v)+c(1-u)v+d uv.
    const t = toTensor([gray(2, 2, [0, 255, 255, 0])], identity(1, 4, 4));
    const w = [0, 0.25, 0.75, 1];
    const expected = w.flatMap((v) => w.map((u) => u * (1 - v) + (1 - u) * v));
    expect(Array.from(t)).toEqual(expected.map((e) => expect.closeTo(e, 5)));
  });

  it('shrinks 4x4 to 2x2 with the antialiasing triangle filter', () => {
    // Scale 2: output 0 is centred at source 1 and reads sources 0,1,2 with weights 1-|j+0.5-1|/2 =
    // .75,.75,.25 (sum 1.75); output 1 reads 1,2,3 with .25,.75,.75. Pixel (x,y) = 10(4y+x), separable:
    // mean index 5/7 (output 0) and 16/7 (output 1) on each axis.
    const src = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];
    const t = toTensor([gray(4, 4, src)], identity(1, 2, 2));
    const e = [5 / 7, 16 / 7];
    const expected = e.flatMap((ey) => e.map((ex) => 10 * (4 * ey + ex)));
    expect(Array.from(t, (v) => v * 255)).toEqual(expected.map((v) => expect.closeTo(v, 3)));
  });

  it('matches PyTorch interpolate(bilinear, align_corners=False, antialias=True) enlarging and shrinking', () => {
    for (const r of fixture.resizes) {
      const img = fixtureImage(r.image);
      const t = toTensor([img], identity(img.channels, r.height, r.width));
      expect(t.length).toBe(r.expected.length);
      t.forEach((v, i) => expect(v).toBeCloseTo(r.expected[i], 5));
    }
  });

  it('writes consecutive images into a caller buffer', () => {
    const out = new Float32Array(8).fill(9);
    toTensor([gray(2, 1, [0, 51]), gray(2, 1, [102, 255])], identity(1, 1, 2), out);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0.2, 0.4, 1].map((e) => expect.closeTo(e, 6)));
    expect(Array.from(out.subarray(4))).toEqual([9, 9, 9, 9]);
    expect(() => toTensor([gray(2, 1, [0, 0])], identity(1, 2, 2), new Float32Array(3))).toThrow(/3 floats, 4 needed/);
  });

  it('rejects mean/std that do not match the channels, and non-positive std', () => {
    const img = gray(1, 1, [0]);
    const bad = (mean: number[], std: number[]) => () =>
      toTensor([img], { channels: 3, height: 1, width: 1, mean, std });
    expect(bad([0.5, 0.5], [0.5])).toThrow(MemLensError);
    expect(bad([0.5, 0.5], [0.5])).toThrow('mean has 2 values but the model takes 3 channels');
    expect(bad([0.5], [1, 1])).toThrow('std has 2 values but the model takes 3 channels');
    expect(bad([0.5], [0])).toThrow('std values must be positive, got 0');
    expect(() => toTensor([img], { channels: 4, height: 1, width: 1, mean: [0], std: [1] })).toThrow(/4 channels/);
  });
});
