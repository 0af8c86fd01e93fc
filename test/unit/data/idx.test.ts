import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
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
    await expect(openSource(join(dir, 'bad-images-idx3-ubyte'))).rejects.toThrow(
      /bad-images-idx3-ubyte is not an unsigned-byte IDX file/,
    );
    await expect(openSource(join(dir, 'odd-images-idx3-ubyte'))).rejects.toThrow(
      /odd-labels-idx1-ubyte has 3 labels but .* has 2 images/,
    );
    await expect(openSource(join(dir, 'train-images-idx3-ubyte'), { limit: 0 })).rejects.toThrow(
      'limit must be a positive integer, got 0',
    );
  });

  it('asks for the images file when given the folder', async () => {
    await expect(openSource(dir)).rejects.toThrow(/holds IDX files; pass the images file itself/);
  });
});

// The demo project's Fashion-MNIST files against the class counts its factory recorded from the
// original labels (resources/demo/split.json), and pixels against a plain gunzip of the file.
const DEMO = new URL('../../../resources/demo/', import.meta.url).pathname;
const split = JSON.parse(readFileSync(join(DEMO, 'split.json'), 'utf8')) as {
  sets: Record<string, { file: string | null; count: number; classCounts: number[] }>;
};
describe.each(Object.entries(split.sets).filter(([, set]) => set.file))('demo data: %s', (_name, set) => {
  it('decodes every 28x28 image with labels 0..9 in the recorded class counts', async () => {
    const path = join(DEMO, set.file!);
    const s = await openSource(path);
    expect(s.count).toBe(set.count);
    expect(s.classes).toHaveLength(10);
    const perClass = new Array(10).fill(0);
    for (const l of s.labels ?? []) perClass[l]++;
    expect(perClass).toEqual(set.classCounts);
    const last = set.count - 1;
    const img = await s.read(last);
    expect(img).toMatchObject({ width: 28, height: 28, channels: 1 });
    const raw = gunzipSync(readFileSync(path));
    expect(Buffer.from(img.data).equals(raw.subarray(16 + last * 784, 16 + set.count * 784))).toBe(true);
  });
});
