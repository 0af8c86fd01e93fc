// The default batch from the memory budget (docs/SCALE.md "Memory budget and the default batch"),
// on a 1x1-conv encoder whose tensor sizes are counted by hand.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { autoBatch, bytesPerImage, chooseBatch, MAX_AUTO_BATCH, viewWorkers } from '../../src/main/engine/memory.js';
import { modelInput } from '../../src/main/engine/infer/input.js';
import { computeUnitMem } from '../../src/main/engine/metrics/unitmem-job.js';
import { loadModel, type OnnxModel } from '../../src/main/engine/onnx/index.js';
import { writeConvModel, writeGray } from './infer/tiny-models.js';

let dir: string;
let model: OnnxModel;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-budget-'));
  // x [N,1,H,W] -> Conv (2 channels) -> Relu: two node outputs of 2 x H x W floats per image
  await writeConvModel(join(dir, 'enc.onnx'), [1, -1], [0, 1], { relu: true, size: 'dynamic' });
  model = await loadModel(join(dir, 'enc.onnx'));
  for (const k of [0, 1, 2]) await writeGray(join(dir, 'imgs', `${k}.png`), new Array(64).fill(40 * k), 8);
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.MEMLENS_MEMORY_MB;
  delete process.env.MEMLENS_VIEW_WORKERS;
  delete process.env.MEMLENS_NO_CACHE;
});

const MiB = 1 << 20;

describe('autoBatch', () => {
  it('counts every node output at batch 1 plus the image twice: 8x8 -> (2*128 + 2*64) floats = 1536 bytes', () => {
    expect(bytesPerImage(model, modelInput(model, [8, 8]))).toBe(1536);
    // 32x32: conv and relu 2*1024 each, the image 1024 twice
    expect(bytesPerImage(model, modelInput(model, [32, 32]))).toBe((4 * 1024 + 2 * 1024) * 4);
  });

  it('fits the budget (MEMLENS_MEMORY_MB), at most 256 images', () => {
    process.env.MEMLENS_MEMORY_MB = String((1536 * 100.5) / MiB);
    expect(autoBatch(model, modelInput(model, [8, 8]))).toEqual({ batch: 100, budget: 1536 * 100.5, perImage: 1536 });
    process.env.MEMLENS_MEMORY_MB = '1';
    expect(autoBatch(model, modelInput(model, [8, 8])).batch).toBe(MAX_AUTO_BATCH);
    process.env.MEMLENS_MEMORY_MB = String(100 / MiB);
    expect(autoBatch(model, modelInput(model, [8, 8])).batch).toBe(1);
  });

  it('models sharing a batch share the budget; chooseBatch says what it picked', () => {
    process.env.MEMLENS_MEMORY_MB = String((1536 * 100.5) / MiB);
    expect(autoBatch(model, modelInput(model, [8, 8]), 2).batch).toBe(50);
    const notes: string[] = [];
    const ctl = { onNote: (l: string) => notes.push(l) };
    expect(chooseBatch(undefined, model, modelInput(model, [8, 8]), ctl, 2)).toBe(50);
    expect(chooseBatch(9, model, modelInput(model, [8, 8]), ctl)).toBe(9);
    expect(notes).toEqual([
      'batch 50 images (auto: 0 MiB budget, ~0.0 MiB per image; --batch N to override)',
      'batch 9 images (--batch)',
    ]);
  });

  it('a bad MEMLENS_MEMORY_MB is a one-line error', () => {
    process.env.MEMLENS_MEMORY_MB = 'lots';
    expect(() => autoBatch(model, modelInput(model, [8, 8]))).toThrow(
      "MEMLENS_MEMORY_MB must be a positive number, got 'lots'",
    );
  });

  it('unitmem without --batch runs with the budget batch and says so in its settings; --batch wins', async () => {
    process.env.MEMLENS_NO_CACHE = '1';
    process.env.MEMLENS_MEMORY_MB = String((1536 * 7) / MiB);
    const req = {
      model: join(dir, 'enc.onnx'),
      data: join(dir, 'imgs'),
      augment: 'none' as const,
      mean: [0],
      std: [1],
      size: [8, 8] as [number, number],
    };
    expect((await computeUnitMem(req)).settings.batch).toBe(7);
    expect((await computeUnitMem({ ...req, batch: 2 })).settings.batch).toBe(2);
  });
});

describe('viewWorkers', () => {
  it('one per core but the main thread, within the budget at 48 MiB each, none under 64x64; the env wins', () => {
    process.env.MEMLENS_MEMORY_MB = '64';
    expect(viewWorkers(224, 224).workers).toBe(Math.min(1, availableParallelism() - 1));
    process.env.MEMLENS_MEMORY_MB = '4096';
    expect(viewWorkers(224, 224)).toEqual({
      workers: availableParallelism() - 1,
      why: `auto: ${availableParallelism()} cores, 4096 MiB budget`,
    });
    expect(viewWorkers(28, 28)).toEqual({ workers: 0, why: 'auto: 28x28 views are cheap' });
    process.env.MEMLENS_VIEW_WORKERS = '0';
    expect(viewWorkers(224, 224)).toEqual({ workers: 0, why: 'MEMLENS_VIEW_WORKERS' });
    process.env.MEMLENS_VIEW_WORKERS = '-1';
    expect(() => viewWorkers(224, 224)).toThrow("MEMLENS_VIEW_WORKERS must be a whole number >= 0, got '-1'");
  });
});
