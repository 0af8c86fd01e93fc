import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/main/engine/data/source.js';

/** An unsigned-byte IDX file written by hand: magic 0x0000 08 <rank>, big-endian dims, data. */
function idx(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, Buffer.from(data)]);
}

let dir: string;
// 3 images of 2x3 (h x w); pixel values 0..17 in order.
const pixels = Array.from({ length: 18 }, (_, i) => i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-idx-'));
  await writeFile(join(dir, 'train-images-idx3-ubyte'), idx([3, 2, 3], pixels));
  await writeFile(join(dir, 'train-labels-idx1-ubyte'), idx([3], [2, 0, 7]));
  await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx([3, 2, 3], pixels)));
  await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([3], [1, 1, 4])));
  await writeFile(join(dir, 'nolabels-images-idx3-ubyte'), idx([2, 1, 1], [5, 6]));
  await writeFile(join(dir, 'short-images-idx3-ubyte'), idx([3, 2, 3], pixels.slice(0, 10)));
  await writeFile(join(dir, 'bad-images-idx3-ubyte'), Buffer.from('not an idx file at all'));
  await writeFile(join(dir, 'odd-images-idx3-ubyte'), idx([2, 1, 1], [5, 6]));
  await writeFile(join(dir, 'odd-labels-idx1-ubyte'), idx([3], [0, 1, 2]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('IDX source', () => {
  it('reads plain images with their sibling labels', async () => {
    const s = await openSource(join(dir, 'train-images-idx3-ubyte'));
    expect(s.kind).toBe('idx');
    expect(s.count).toBe(3);
    expect(s.ids).toEqual(['0', '1', '2']);
    expect(Array.from(s.labels ?? [])).toEqual([2, 0, 7]);
    expect(s.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(s.channels).toBe(1);
    const img = await s.read(1);
    expect(img).toMatchObject({ width: 3, height: 2, channels: 1 });
    expect(Array.from(img.data)).toEqual([6, 7, 8, 9, 10, 11]);
  });

  it('reads gzipped images and labels, and honours limit', async () => {
    const s = await openSource(join(dir, 't10k-images-idx3-ubyte.gz'), { limit: 2 });
    expect(s.count).toBe(2);
    expect(s.ids).toEqual(['0', '1']);
    expect(Array.from(s.labels ?? [])).toEqual([1, 1]);
    expect(s.classes).toEqual(['0', '1', '2', '3', '4']); // from every label, not only the kept ones
    expect(Array.from((await s.read(1)).data)).toEqual([6, 7, 8, 9, 10, 11]);
    await expect(s.read(2)).rejects.toThrow(/sample 2 is out of range .* \(2 samples\)/);
  });

  it('has no labels when there is no labels file', async () => {
    const s = await openSource(join(dir, 'nolabels-images-idx3-ubyte'));
    expect(s.labels).toBeUndefined();
    expect(s.classes).toBeUndefined();
  });

  it('rejects truncated, malformed and mismatched files with one-line errors naming them', async () => {
    await expect(openSource(join(dir, 'short-images-idx3-ubyte'))).rejects.toThrow(
      `${join(dir, 'short-images-idx3-ubyte')} is truncated: header says 3x2x3 but it holds 10 bytes`,
    );
    await expect(openSource(join(dir, 'bad-images-idx3-ubyte'))).rejects.toThrow(/bad-images-idx3-ubyte is not an unsigned-byte IDX file/);
    await expect(openSource(join(dir, 'odd-images-idx3-ubyte'))).rejects.toThrow(/odd-labels-idx1-ubyte has 3 labels but .* has 2 images/);
    await expect(openSource(join(dir, 'train-images-idx3-ubyte'), { limit: 0 })).rejects.toThrow('limit must be a positive integer, got 0');
  });

  it('asks for the images file when given the folder', async () => {
    await expect(openSource(dir)).rejects.toThrow(/holds IDX files; pass the images file itself/);
  });
});

const FASHION = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
describe.skipIf(!existsSync(FASHION))('Fashion-MNIST test set (skipped: file absent)', () => {
  it('decodes 10000 images of 28x28 with labels 0..9, 1000 each', async () => {
    const s = await openSource(FASHION);
    expect(s.count).toBe(10000);
    expect(s.classes).toHaveLength(10);
    const perClass = new Array(10).fill(0);
    for (const l of s.labels ?? []) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    // First test labels of Fashion-MNIST (ankle boot, pullover, trouser, trouser, shirt).
    expect(Array.from(s.labels?.subarray(0, 5) ?? [])).toEqual([9, 2, 1, 1, 6]);
    const img = await s.read(9999);
    expect(img).toMatchObject({ width: 28, height: 28, channels: 1 });
    expect(img.data.length).toBe(784);
  });
});
