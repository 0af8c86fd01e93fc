import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFiles, decodeImage } from '../../../src/main/engine/data/decode.js';

let dir: string;
const raw = (w: number, h: number, channels: 1 | 3, f: (i: number) => number) =>
  sharp(Buffer.from(Array.from({ length: w * h * channels }, (_, i) => f(i))), {
    raw: { width: w, height: h, channels },
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-decode-'));
  await raw(4, 3, 1, () => 77)
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toFile(join(dir, 'gray.jpg'));
  await raw(4, 3, 3, (i) => [200, 100, 50][i % 3])
    .webp({ lossless: true })
    .toFile(join(dir, 'rgb.webp'));
  await raw(4, 3, 3, (i) => (i * 7) % 256)
    .png()
    .toFile(join(dir, 'a.png'));
  await raw(4, 3, 3, (i) => (i * 11) % 256)
    .png()
    .toFile(join(dir, 'b.png'));
  await writeFile(join(dir, 'bad.png'), 'not a png');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('decodeImage', () => {
  it('keeps gray JPEGs gray and decodes lossless WebP exactly', async () => {
    const g = await decodeImage(join(dir, 'gray.jpg'));
    expect(g).toMatchObject({ width: 4, height: 3, channels: 1 });
    for (const v of g.data) expect(Math.abs(v - 77)).toBeLessThanOrEqual(1); // JPEG rounding
    const c = await decodeImage(join(dir, 'rgb.webp'));
    expect(c.channels).toBe(3);
    expect(Array.from(c.data.subarray(0, 6))).toEqual([200, 100, 50, 200, 100, 50]);
  });
});

describe('decodeFiles', () => {
  it('stops at `want` good files and does not list files past the limit as skipped', async () => {
    const files = ['a.png', 'bad.png', 'b.png', 'bad.png', 'gray.jpg'].map((f) => join(dir, f));
    const all = await decodeFiles(files);
    expect(all.good).toEqual([0, 2, 4]);
    expect(all.failed.map((f) => f.index)).toEqual([1, 3]);
    const two = await decodeFiles(files, 2);
    expect(two.good).toEqual([0, 2]);
    expect(two.failed.map((f) => f.index)).toEqual([1]);
  });

  it('decodes again beyond the cache budget, with a one-line error when the file went away', async () => {
    const path = join(dir, 'gone.png');
    await raw(2, 2, 3, (i) => i)
      .png()
      .toFile(path);
    const set = await decodeFiles([join(dir, 'a.png'), path], Infinity, 0);
    expect(Array.from((await set.get(0)).data)).toEqual(Array.from({ length: 36 }, (_, i) => (i * 7) % 256));
    await rm(path);
    await expect(set.get(1)).rejects.toThrow(`cannot decode ${path} any more`);
  });
});
