import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKey, readCache, writeCache } from '../../../src/main/engine/project/cache.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-cache-'));
  await writeFile(join(dir, 'm.onnx'), 'model bytes');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('result cache', () => {
  it('keys ignore the order of settings but not their values', () => {
    const a = cacheKey('unitmem', { model: 'abc', settings: { views: 10, rest: 'mean', mean: [0.5] } });
    const b = cacheKey('unitmem', { settings: { mean: [0.5], rest: 'mean', views: 10 }, model: 'abc' });
    expect(a).toBe(b);
    expect(cacheKey('unitmem', { model: 'abc', settings: { views: 10, rest: 'median', mean: [0.5] } })).not.toBe(a);
    expect(cacheKey('unitmem', { model: 'abd', settings: { views: 10, rest: 'mean', mean: [0.5] } })).not.toBe(a);
    expect(cacheKey('classmem', { model: 'abc', settings: { views: 10, rest: 'mean', mean: [0.5] } })).not.toBe(a);
  });

  it('stores documents in .memlens-cache beside the model; MEMLENS_NO_CACHE turns it off', async () => {
    const model = join(dir, 'm.onnx');
    expect(await readCache(model, 'k1')).toBeUndefined();
    await writeCache(model, 'k1', { value: 42 });
    expect(await readdir(join(dir, '.memlens-cache'))).toEqual(['k1.json']);
    expect(await readCache(model, 'k1')).toEqual({ value: 42 });
    process.env.MEMLENS_NO_CACHE = '1';
    try {
      expect(await readCache(model, 'k1')).toBeUndefined();
      await writeCache(model, 'k2', { value: 1 });
      expect(await readdir(join(dir, '.memlens-cache'))).toEqual(['k1.json']);
    } finally {
      delete process.env.MEMLENS_NO_CACHE;
    }
  });
});
