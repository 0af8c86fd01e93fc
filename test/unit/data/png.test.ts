import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePng } from '../../../src/main/engine/data/png.js';
import { openSource } from '../../../src/main/engine/data/source.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-png-'));
  // Two 28x28 IDX images; image 1 has pixel (x, y) = x + y.
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x0803, 0);
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const pixels = Buffer.alloc(2 * 784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) pixels[784 + y * 28 + x] = x + y;
  await writeFile(join(dir, 'x-images-idx3-ubyte'), Buffer.concat([header, pixels]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('samplePng', () => {
  it('enlarges a 28x28 sample 4x with nearest-neighbour, pixels intact', async () => {
    const s = await openSource(join(dir, 'x-images-idx3-ubyte'));
    const png = await samplePng(s, '1');
    const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([112, 112]);
    // Output pixel (X, Y) comes from source (floor(X/4), floor(Y/4)).
    for (const [X, Y] of [
      [0, 0],
      [5, 9],
      [111, 111],
      [50, 3],
    ]) {
      expect(data[Y * 112 * info.channels + X * info.channels]).toBe(Math.floor(X / 4) + Math.floor(Y / 4));
    }
  });

  it('names the sample and source when the id is unknown', async () => {
    const s = await openSource(join(dir, 'x-images-idx3-ubyte'));
    await expect(samplePng(s, '7')).rejects.toThrow(`sample '7' is not in ${join(dir, 'x-images-idx3-ubyte')}`);
  });
});
