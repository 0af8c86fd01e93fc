import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/main/engine/data/source.js';

/** A CIFAR record: label byte(s), then 1024 R, 1024 G, 1024 B; channel c of pixel p is (p + 50c + tag) % 256. */
function record(labels: number[], tag: number): Buffer {
  const pixels = Buffer.alloc(3072);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) pixels[c * 1024 + p] = (p + 50 * c + tag) % 256;
  return Buffer.concat([Buffer.from(labels), pixels]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-cifar-'));
  await mkdir(join(dir, 'c10'));
  await writeFile(join(dir, 'c10', 'data_batch_1.bin'), Buffer.concat([record([3], 0), record([9], 1)]));
  await writeFile(join(dir, 'c10', 'data_batch_2.bin'), record([0], 2));
  await writeFile(join(dir, 'c10', 'test_batch.bin'), record([5], 3));
  await writeFile(
    join(dir, 'c10', 'batches.meta.txt'),
    'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n',
  );
  await mkdir(join(dir, 'c100'));
  await writeFile(join(dir, 'c100', 'train.bin'), Buffer.concat([record([4, 77], 0), record([1, 12], 1)]));
  await writeFile(join(dir, 'cut.bin'), record([1], 0).subarray(0, 2000));
  await mkdir(join(dir, 'cut10'));
  await writeFile(
    join(dir, 'cut10', 'data_batch_1.bin'),
    Buffer.concat([record([1], 0), record([2], 0).subarray(0, 100)]),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('CIFAR source', () => {
  it('reads a folder of CIFAR-10 batches in name order, with class names from batches.meta.txt', async () => {
    const s = await openSource(join(dir, 'c10'));
    expect(s.kind).toBe('cifar');
    expect(s.count).toBe(4);
    expect(s.ids).toEqual(['0', '1', '2', '3']);
    expect(Array.from(s.labels ?? [])).toEqual([3, 9, 0, 5]);
    expect(s.classes?.[3]).toBe('cat');
    expect(s.classes).toHaveLength(10);
    expect(s.channels).toBe(3);
  });

  it('converts planar records to interleaved HWC', async () => {
    const s = await openSource(join(dir, 'c10'));
    const img = await s.read(2); // tag 2
    expect(img).toMatchObject({ width: 32, height: 32, channels: 3 });
    // pixel p = 33 (row 1, column 1): R = 35, G = 85, B = 135.
    expect(Array.from(img.data.subarray(33 * 3, 33 * 3 + 3))).toEqual([35, 85, 135]);
  });

  it('reads a single CIFAR-100 file using the fine label, numbered classes without the names file', async () => {
    const s = await openSource(join(dir, 'c100', 'train.bin'), { limit: 1 });
    expect(s.count).toBe(1);
    expect(Array.from(s.labels ?? [])).toEqual([77]);
    expect(s.classes).toHaveLength(78);
    expect(Array.from((await s.read(0)).data.subarray(0, 3))).toEqual([0, 50, 100]);
  });

  it('rejects a file that is not a whole number of records', async () => {
    await expect(openSource(join(dir, 'cut.bin'))).rejects.toThrow(/cut.bin is not a CIFAR binary batch \(size 2000/);
    await expect(openSource(join(dir, 'cut10'))).rejects.toThrow(
      /data_batch_1.bin is not a CIFAR binary batch \(size 3173 /,
    );
    await expect(openSource(join(dir, 'c10'), { limit: 3 })).resolves.toMatchObject({ count: 3, ids: ['0', '1', '2'] });
  });
});
