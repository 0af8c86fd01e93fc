import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/main/engine/data/source.js';
import { embedSources } from '../../../src/main/engine/evaluate/embeddings.js';
import { evaluate } from '../../../src/main/engine/evaluate/evaluate.js';
import { loadModel } from '../../../src/main/engine/onnx/index.js';
import { classFolders } from '../../support/class-folders.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
// The demo project's Fashion-MNIST downstream split (resources/demo/README.md).
const DEMO_DATA = new URL('../../../resources/demo/data/', import.meta.url).pathname;
const TRAIN = join(DEMO_DATA, 'train-images-idx3-ubyte.gz');
const TEST = join(DEMO_DATA, 'test-images-idx3-ubyte.gz');
// Reference embeddings computed by PyTorch (fixtures/make_models.py).
const torchRef = JSON.parse(readFileSync(join(FIXTURES, 'linear-encoder.json'), 'utf8'));

let dir: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-evaluate-'));
  // A copy, so the embeddings cache lands in the temp folder, not in the repository.
  model = join(dir, 'linear-encoder.onnx');
  await copyFile(join(FIXTURES, 'linear-encoder.onnx'), model);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('embeddings', () => {
  it('equal PyTorch embeddings of the same images, and come back from the cache', async () => {
    const source = await openSource(TEST, { limit: torchRef.first });
    const settings = { mean: [0.5], std: [0.5], batch: 3 };
    const [f] = await embedSources(await loadModel(model), [source], settings);
    expect([f.rows, f.dim]).toEqual([4, 6]);
    torchRef.embeddings.flat().forEach((v: number, k: number) => expect(f.data[k]).toBeCloseTo(v, 4));
    expect((await readdir(join(dir, '.memlens-cache'))).some((n) => n.endsWith('.f32'))).toBe(true);
    const [again] = await embedSources(await loadModel(model), [source], settings);
    expect(Array.from(again.data)).toEqual(Array.from(f.data));
  });
});

describe('evaluate', () => {
  it('reports a probe accuracy with per-class figures for both probes', async () => {
    for (const probe of ['linear', 'knn'] as const) {
      const r = await evaluate({ model, train: TRAIN, test: TEST, limit: 300, probe });
      expect(r).toMatchObject({ schema: 'memlens.evaluate/1', probe, trainCount: 300, testCount: 300 });
      expect(r.settings.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      // A random 6-d projection of Fashion-MNIST is far above chance (10%) with either probe.
      expect(r.accuracy).toBeGreaterThan(0.4);
      expect(r.perClass).toHaveLength(10);
    }
  });

  it('refuses a model whose output is a feature map', async () => {
    await expect(
      evaluate({ model: join(FIXTURES, 'feature-map.onnx'), train: TRAIN, test: TEST, limit: 100 }),
    ).rejects.toThrow(
      /output embedding has shape \[1, 2, 26, 26\] for one image; evaluation needs one vector per image/,
    );
  });

  it('refuses training data without labels', async () => {
    const flat = await classFolders(join(dir, 'flat'), { '': 3 });
    await expect(evaluate({ model, train: flat, test: TEST, limit: 10 })).rejects.toThrow(
      /training data .*flat has no labels/,
    );
  });

  it('refuses test classes that the training data lacks, naming them', async () => {
    const train = await classFolders(join(dir, 'train'), { cat: 2, dog: 2 });
    const test = await classFolders(join(dir, 'test'), { cat: 1, bird: 1, fish: 1 });
    await expect(evaluate({ model, train, test })).rejects.toThrow(
      /test data .*test has classes absent from the training data .*train: bird, fish/,
    );
  });

  it('refuses training data with a single class', async () => {
    const one = await classFolders(join(dir, 'one'), { cat: 3 });
    await expect(evaluate({ model, train: one, test: one })).rejects.toThrow(/has 1 class; a probe needs at least 2/);
  });
});
