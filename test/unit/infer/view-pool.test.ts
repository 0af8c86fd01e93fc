// The view worker pool (docs/SCALE.md "Data pipeline"): batches cut in worker threads must be the
// in-process feed's batches byte for byte, for decoded JPEGs (RGB, SimCLR views with the anchor)
// and for an IDX file (gray images that are views into one buffer).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource, type DataSource } from '../../../src/main/engine/data/source.js';
import { resolveAugment } from '../../../src/main/engine/data/views.js';
import { viewFeed, type FeedOptions } from '../../../src/main/engine/infer/feed.js';
import { openViewPool, type ViewPool } from '../../../src/main/engine/infer/view-pool.js';
import { builtWorker } from '../../../src/main/engine/workers.js';
import { DEMO } from '../../support/cli.js';
import { rgbImages } from '../../support/rgb-images.js';

let dir: string;
let pool: ViewPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-viewpool-'));
  // 7 PNGs of 64x64 and 7 JPEGs of 150x100 made from them: views are resampled crops of both
  const data = await rgbImages(join(dir, 'data'), 7, 64);
  for (let i = 0; i < 7; i++) {
    await sharp(join(data, `img00${i}.png`))
      .resize(150, 100, { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toFile(join(data, `photo${i}.jpg`));
  }
  pool = openViewPool(3, builtWorker('view-worker')!);
});
afterAll(async () => {
  await pool?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Batches [start, start + n) filled in process and by the pool, as bytes. */
async function both(o: Omit<FeedOptions, 'pool'>, start: number, n: number): Promise<[Buffer, Buffer]> {
  const { channels, height, width } = o.spec;
  const floats = n * (o.views + (o.anchor ? 1 : 0)) * channels * height * width;
  const [a, b] = [new Float32Array(floats), new Float32Array(floats)];
  await viewFeed(o)(start, n, a);
  await viewFeed({ ...o, pool })(start, n, b);
  return [Buffer.from(a.buffer), Buffer.from(b.buffer)];
}

describe('view pool', () => {
  it('runs the worker the test setup built', () => {
    expect(builtWorker('view-worker')).toMatch(/view-worker\.js$/);
    expect(pool.size).toBe(3);
  });

  it('cuts SimCLR views of JPEGs (with the anchor) byte-identical to the in-process feed', async () => {
    const source: DataSource = await openSource(join(dir, 'data'));
    expect(source.count).toBe(14);
    const o = {
      source,
      spec: { channels: 3 as const, height: 32, width: 32, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      augment: resolveAugment('simclr'),
      seed: 5,
      views: 3,
      anchor: true,
    };
    for (const [start, n] of [
      [0, 14],
      [3, 5],
      [13, 1],
    ]) {
      const [a, b] = await both(o, start, n);
      expect(b.equals(a)).toBe(true);
    }
    // not vacuous: the views differ from one another and from a batch of another seed
    const [a] = await both(o, 0, 2);
    const [other] = await both({ ...o, seed: 6 }, 0, 2);
    expect(a.equals(other)).toBe(false);
    const image = 3 * 32 * 32 * 4;
    expect(a.subarray(image, 2 * image).equals(a.subarray(2 * image, 3 * image))).toBe(false);
  });

  it('cuts views of an IDX file (gray images inside one buffer) byte-identical to the in-process feed', async () => {
    const source = await openSource(join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz'), { limit: 40 });
    const o = {
      source,
      spec: { channels: 1 as const, height: 28, width: 28, mean: [0.5], std: [0.5] },
      augment: resolveAugment('simclr'),
      seed: 0,
      views: 2,
      anchor: false,
    };
    const [a, b] = await both(o, 0, 40);
    expect(b.equals(a)).toBe(true);
  });
});
