import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/main/engine/data/source.js';

let dir: string;

/** A w x h PNG whose every pixel is `value` (1 or 3 channels, optional alpha). */
async function png(path: string, value: number[], w = 3, h = 2): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const channels = value.length as 1 | 3 | 4;
  const data = Buffer.alloc(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = value[i % channels];
  const img = sharp(data, { raw: { width: w, height: h, channels } });
  await (channels === 1 ? img.toColourspace('b-w') : img).png().toFile(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-folder-'));
  // Class folders: 2 classes, one nested image, one broken file, one non-image file.
  await png(join(dir, 'classes/dog/b.png'), [200]);
  await png(join(dir, 'classes/dog/a.png'), [100]);
  await png(join(dir, 'classes/cat/x.png'), [10, 20, 30]);
  await png(join(dir, 'classes/cat/deep/y.png'), [1, 2, 3, 128]);
  await png(join(dir, 'classes/cat/z.png'), [40, 50, 60]);
  await png(join(dir, 'classes/dog/c.png'), [7]);
  await png(join(dir, 'classes/dog/d.png'), [8]);
  await writeFile(join(dir, 'classes/dog/broken.png'), 'this is not a png');
  await writeFile(join(dir, 'classes/notes.txt'), 'ignored');
  await writeFile(join(dir, 'classes/dog/._a.png'), 'macOS resource fork');
  await png(join(dir, 'classes/.thumbs/t.png'), [0]);
  // Per-sample view folders: 3 samples x 2 views; views named so that name order != creation order.
  for (const s of ['s2', 's0', 's1']) {
    await png(join(dir, `views/${s}/v1.png`), [Number(s[1]) * 10 + 1]);
    await png(join(dir, `views/${s}/v0.png`), [Number(s[1]) * 10]);
  }
  // View folders where one view and one whole sample cannot be decoded.
  for (const s of ['a', 'b', 'c', 'd']) {
    await png(join(dir, `brokenviews/${s}/1.png`), [1]);
    await png(join(dir, `brokenviews/${s}/2.png`), [2]);
  }
  await writeFile(join(dir, 'brokenviews/b/1.png'), 'broken');
  await writeFile(join(dir, 'brokenviews/c/1.png'), 'broken');
  await writeFile(join(dir, 'brokenviews/c/2.png'), 'broken');
  await mkdir(join(dir, 'empty/sub'), { recursive: true });
  await writeFile(join(dir, 'empty/sub/readme.md'), 'no images here');
  await png(join(dir, 'loose/one.png'), [5]);
  await png(join(dir, 'single.png'), [5]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('image folder source', () => {
  it('labels by first-level sub-folder, sorts classes and files, ignores hidden files, lists undecodable ones', async () => {
    const s = await openSource(join(dir, 'classes'));
    expect(s.kind).toBe('folder');
    expect(s.ids).toEqual([
      'cat/deep/y.png',
      'cat/x.png',
      'cat/z.png',
      'dog/a.png',
      'dog/b.png',
      'dog/c.png',
      'dog/d.png',
    ]);
    expect(s.count).toBe(7);
    expect(s.classes).toEqual(['cat', 'dog']);
    expect(Array.from(s.labels ?? [])).toEqual([0, 0, 0, 1, 1, 1, 1]);
    expect(s.channels).toBe(3);
    expect(s.skipped).toHaveLength(1);
    expect(s.skipped[0].id).toBe('dog/broken.png');
    expect(s.skipped[0].reason).not.toBe('');
  });

  it('decodes gray as 1 channel and drops alpha', async () => {
    const s = await openSource(join(dir, 'classes'));
    const gray = await s.read(3);
    expect(gray).toMatchObject({ width: 3, height: 2, channels: 1 });
    expect(Array.from(gray.data)).toEqual([100, 100, 100, 100, 100, 100]);
    const rgba = await s.read(0);
    expect(rgba.channels).toBe(3);
    expect(Array.from(rgba.data.subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it('keeps the first N decodable images with limit', async () => {
    const s = await openSource(join(dir, 'classes'), { limit: 2 });
    expect(s.ids).toEqual(['cat/deep/y.png', 'cat/x.png']);
  });

  it('has no labels for images directly in the folder', async () => {
    const s = await openSource(join(dir, 'loose'));
    expect(s.ids).toEqual(['one.png']);
    expect(s.labels).toBeUndefined();
  });

  it('recognizes per-sample view folders; views come in file-name order, the first is the anchor', async () => {
    const s = await openSource(join(dir, 'views'));
    expect(s.kind).toBe('views');
    expect(s.ids).toEqual(['s0', 's1', 's2']);
    expect((await s.read(2)).data[0]).toBe(20);
    const views = await s.readViews?.(1);
    expect(views?.map((v) => v.data[0])).toEqual([10, 11]);
  });

  it('drops undecodable views, and samples left without any, listing both', async () => {
    const s = await openSource(join(dir, 'brokenviews'));
    expect(s.ids).toEqual(['a', 'b', 'd']);
    expect((await s.readViews?.(1))?.map((v) => v.data[0])).toEqual([2]);
    expect(s.skipped.map((k) => k.id)).toEqual(['b/1.png', 'c/1.png', 'c/2.png', 'c']);
    expect(s.skipped[3].reason).toBe('no decodable view');
  });

  it('reads a folder as views or as classes when told to', async () => {
    const asClasses = await openSource(join(dir, 'views'), { kind: 'folder' });
    expect(asClasses.kind).toBe('folder');
    expect(asClasses.classes).toEqual(['s0', 's1', 's2']);
    const asViews = await openSource(join(dir, 'classes/dog'), { kind: 'views' }).catch((e: Error) => e);
    expect(String(asViews)).toMatch(/is not a folder of per-sample view folders/);
  });

  it('rejects folders without images and paths that are not data, in one line naming them', async () => {
    await expect(openSource(join(dir, 'empty'))).rejects.toThrow(`${join(dir, 'empty')} holds no images`);
    await expect(openSource(join(dir, 'nope'))).rejects.toThrow(`data path ${join(dir, 'nope')} does not exist`);
    await expect(openSource(join(dir, 'single.png'))).rejects.toThrow(/single.png is not a data source/);
    await mkdir(join(dir, 'allbroken'), { recursive: true });
    await writeFile(join(dir, 'allbroken/a.jpg'), 'garbage');
    await expect(openSource(join(dir, 'allbroken'))).rejects.toThrow(/allbroken holds no decodable images/);
  });
});
