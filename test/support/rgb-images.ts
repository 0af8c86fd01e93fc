import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openIdx } from '../../src/main/engine/data/idx.js';
import { DEMO } from './cli.js';

/**
 * A flat folder of `n` size x size RGB PNGs made from the demo's Fashion-MNIST candidates (the zoo
 * encoders take 3-channel images): each 28x28 image upscaled, with the three channels made
 * different (the image, its negative, and a dimmed copy) so no channel is a copy of another.
 */
export async function rgbImages(dir: string, n: number, size = 64): Promise<string> {
  const source = await openIdx(join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz'), n);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const { width: w, height: h, data } = await source.read(i);
    const gray = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 1 } })
      .resize(size, size)
      .raw()
      .toBuffer();
    const rgb = Buffer.alloc(size * size * 3);
    for (let p = 0; p < size * size; p++) {
      rgb[3 * p] = gray[p];
      rgb[3 * p + 1] = 255 - gray[p];
      rgb[3 * p + 2] = 64 + (gray[p] >> 1);
    }
    await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(join(dir, `img${String(i).padStart(3, '0')}.png`));
  }
  return dir;
}
