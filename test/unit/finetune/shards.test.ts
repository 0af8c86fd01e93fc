// Data-parallel training steps (shards.ts): shards of a batch in worker threads, and a lone shard
// in the calling thread, must train as the session with the JS optimizer does. The weighted sum of
// the shards' mean-loss gradients is the batch's, so with SGD (linear in the gradient) the params
// may differ only by float32 rounding of the sums; batches that split unevenly and one smaller than
// the shard count (a shard with no rows) included. The demo CNN reads its Conv weights only through
// blocked copies (kept in their gradient's layout); the tiny CNN's extra 4-channel Conv does not
// fit the blocked kernels, so it reads its weight, whose gradient output is gathered into the
// param's layout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { DEFAULT_OPTIMIZER, Optimizer, type OptimizerSettings } from '../../../src/main/engine/finetune/optim.js';
import { ortSession } from '../../../src/main/engine/finetune/runtime.js';
import { trainableLayers } from '../../../src/main/engine/finetune/select.js';
import { arrive } from '../../../src/main/engine/finetune/shard.js';
import { shardPlan } from '../../../src/main/engine/finetune/shards.js';
import { openTrainer, planTraining, type Param } from '../../../src/main/engine/finetune/trainer.js';
import { HEAD_BIAS, HEAD_WEIGHT, LABELS, LOSS, trainingModels } from '../../../src/main/engine/finetune/training.js';
import { loadModel, tensorToFloat32 } from '../../../src/main/engine/onnx/index.js';
import { DEMO } from '../../support/cli.js';
import { tensorProto } from '../../../src/main/engine/finetune/emit.js';
import { DataType } from '../../../src/main/engine/onnx/schema.js';
import { node, uniform } from './fd.js';
import { SIZE, writeTinyCnn } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'memlens-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TINY = join(dir, 'tiny.onnx');
writeTinyCnn(TINY, [node('Conv', ['p1', 'mid.weight'], ['mid'], { pads: [1, 1, 1, 1] })], 1, [
  tensorProto('mid.weight', DataType.FLOAT, [4, 4, 3, 3], uniform(144, 9, -0.3, 0.3)),
]);
const MODELS = [
  { name: 'demo CNN', path: join(DEMO, 'ssl-cnn-f.onnx'), chw: [1, 28, 28] },
  { name: 'tiny CNN', path: TINY, chw: [1, SIZE, SIZE] },
];
type Case = (typeof MODELS)[number];
const classes = 10;
const sgd: OptimizerSettings = { ...DEFAULT_OPTIMIZER, kind: 'sgd', momentum: 0.9 };

afterEach(() => {
  delete process.env.MEMLENS_TRAIN_SHARDS;
  delete process.env.MEMLENS_TRAIN_BALANCE;
});

async function setup(c: Case) {
  const model = await loadModel(c.path);
  const names = trainableLayers(model).flatMap((l) => l.params);
  const chw = c.chw as [number, number, number];
  // built as for 2-thread sessions: the weight gradients by Gather, whose outputs are rearranged
  // (the tiny CNN's extra Conv then gathers them); both trainers below run this one graph
  const models = await trainingModels(
    model.proto,
    { input: 'input', chw, classes, trainable: names, threads: 2 },
    c.path,
  );
  const inits = new Map(model.proto.graph!.initializer.map((t) => [t.name, t]));
  const params = (): Param[] => [
    ...names.map((n) => ({
      name: n,
      dims: inits.get(n)!.dims.map(Number),
      data: tensorToFloat32(inits.get(n)!).slice(),
    })),
    {
      name: HEAD_WEIGHT,
      dims: [classes, models.features],
      data: Float32Array.from({ length: classes * models.features }, (_, i) => Math.sin(i) * 0.05),
    },
    { name: HEAD_BIAS, dims: [classes], data: new Float32Array(classes) },
  ];
  return { models, params };
}

function batchOf(image: number, n: number, step: number) {
  const x = Float32Array.from({ length: n * image }, (_, i) => Math.sin(i * 0.37 + step));
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + ((i * 7 + step) % classes)] = 1;
  return { x, y };
}

/**
 * SGD steps with batches of `sizes`; the params after each and the losses, and what the trainer
 * said. `ahead`: every step is given before the first is awaited (the fine-tuning loop gives one
 * ahead), and only the params after the last are read.
 */
async function train(c: Case, shards: string, sizes: number[], ahead = false) {
  process.env.MEMLENS_TRAIN_SHARDS = shards;
  const { models, params } = await setup(c);
  const { chw } = c;
  const image = chw.reduce((a, b) => a * b, 1);
  const p = params();
  const notes: string[] = [];
  const batch = Math.max(...sizes);
  const runtime = { threads: 2, cpuOnly: true };
  const trainer = await openTrainer(
    models,
    p,
    { input: 'input', chw, classes, batch },
    { optimizer: sgd, runtime, plan: planTraining(runtime, batch, 0) },
    { onNote: (n) => notes.push(n) },
  );
  const losses: number[] = [];
  const after: Float32Array[][] = [];
  try {
    if (ahead) {
      const steps = sizes.map((n, step) => {
        const { x, y } = batchOf(image, n, step);
        return trainer.step(x, y, n, 0.05);
      });
      losses.push(...(await Promise.all(steps)));
      trainer.sync();
      after.push(p.map((q) => q.data.slice()));
    } else
      for (const [step, n] of sizes.entries()) {
        const { x, y } = batchOf(image, n, step);
        losses.push(await trainer.step(x, y, n, 0.05));
        trainer.sync();
        after.push(p.map((q) => q.data.slice()));
      }
  } finally {
    await trainer.release();
  }
  return { losses, after, notes };
}

/**
 * The same steps without the trainers: onnxruntime's session with its rearrangements in JS
 * (runtime.ts) and the optimizer of JS arrays (optim.ts, checked against torch.optim).
 */
async function reference(c: Case, sizes: number[]) {
  const { models, params } = await setup(c);
  const image = c.chw.reduce((a, b) => a * b, 1);
  const p = params();
  const session = await ortSession(models.train, 'the training graph', { threads: 1, cpuOnly: true });
  const optimizer = new Optimizer(
    p.map((q) => q.data),
    sgd,
  );
  const losses: number[] = [];
  const after: Float32Array[][] = [];
  try {
    for (const [step, n] of sizes.entries()) {
      const { x, y } = batchOf(image, n, step);
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', x, [n, ...c.chw]),
        [LABELS]: new ort.Tensor('float32', y, [n, classes]),
      };
      for (const q of p) feeds[q.name] = new ort.Tensor('float32', q.data, q.dims);
      const out = await session.run(feeds, [LOSS, ...models.grads]);
      optimizer.step(
        models.grads.map((g) => out[g].data as Float32Array),
        0.05,
      );
      losses.push(Number(out[LOSS].data[0]));
      after.push(p.map((q) => q.data.slice()));
    }
  } finally {
    await session.session.release();
  }
  return { losses, after };
}

function maxRelative(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((t, k) => {
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < t.length; i++) {
      diff += (t[i] - b[k][i]) ** 2;
      norm += b[k][i] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(diff / norm));
  });
  return worst;
}

describe('sharded training steps', () => {
  it.each(MODELS)(
    'train the $name as one session does, for 1 (in this thread), 2 and 3 shards and uneven batches',
    async (c) => {
      const sizes = [20, 7, 2];
      const one = await reference(c, sizes);
      for (const shards of ['1', '2', '3']) {
        const split = await train(c, shards, sizes);
        expect(split.notes.join()).toMatch(
          shards === '1' ? /one session/ : new RegExp(`split over ${shards} worker threads`),
        );
        split.losses.forEach((loss, s) => expect(loss).toBeCloseTo(one.losses[s], 5));
        split.after.forEach((params, s) => expect(maxRelative(params, one.after[s])).toBeLessThan(1e-5));
        // the steps did move the params: equal results are not the initial ones twice
        expect(
          maxRelative(
            split.after[2],
            (await setup(c)).params().map((q) => q.data),
          ),
        ).toBeGreaterThan(1e-3);
      }
    },
    60_000,
  );

  it('run steps given before the last is done as they run one by one, to the bit', async () => {
    const c = MODELS[0];
    const sizes = [20, 7, 2, 20, 13];
    for (const shards of ['1', '2', '3']) {
      const ahead = await train(c, shards, sizes, true);
      const inTurn = await train(c, shards, sizes);
      expect(ahead.losses).toEqual(inTurn.losses);
      expect(ahead.after[0]).toEqual(inTurn.after[sizes.length - 1]);
      // out of order, the last step's params would be another step's
      expect(maxRelative(ahead.after[0], inTurn.after[sizes.length - 2])).toBeGreaterThan(1e-3);
    }
  }, 60_000);

  it('a trainer released while its steps run waits for them: ending a worker mid-run took the process down', async () => {
    const c = MODELS[0];
    const { models, params } = await setup(c);
    const image = c.chw.reduce((a, b) => a * b, 1);
    const runtime = { threads: 2, cpuOnly: true };
    for (const [round, shards] of ['1', '2', '2', '2'].entries()) {
      process.env.MEMLENS_TRAIN_SHARDS = shards;
      const trainer = await openTrainer(
        models,
        params(),
        { input: 'input', chw: c.chw, classes, batch: 20 },
        { optimizer: sgd, runtime, plan: planTraining(runtime, 20, 0) },
      );
      const order: string[] = [];
      const steps = [0, 1].map((step) => {
        const { x, y } = batchOf(image, 20, step);
        return trainer.step(x, y, 20, 0.05).then(() => order.push(`step ${step}`));
      });
      await new Promise((wake) => setTimeout(wake, 2 * round));
      await trainer.release();
      order.push('released');
      await Promise.all(steps);
      expect(order).toEqual(['step 0', 'step 1', 'released']);
    }
  }, 60_000);

  it('split by speed (MEMLENS_TRAIN_BALANCE=1), train as one session does; other values are refused', async () => {
    const c = MODELS[1];
    // enough steps past the warm-up runs for the split to move where the cores differ
    const sizes = [20, 20, 20, 20, 20, 20, 7];
    const one = await reference(c, sizes);
    process.env.MEMLENS_TRAIN_BALANCE = '1';
    const split = await train(c, '2', sizes);
    split.losses.forEach((loss, s) => expect(loss).toBeCloseTo(one.losses[s], 5));
    split.after.forEach((params, s) => expect(maxRelative(params, one.after[s])).toBeLessThan(1e-5));
    process.env.MEMLENS_TRAIN_BALANCE = 'yes';
    await expect(train(c, '2', [4])).rejects.toThrow("MEMLENS_TRAIN_BALANCE must be 0 or 1, got 'yes'");
  }, 60_000);

  it('meet between runs and updates: the last to arrive lets the others on; a shard left alone gives up', () => {
    const meet = new Int32Array(new SharedArrayBuffer(8));
    // the second of two arrives last: it starts the next generation and returns at once
    Atomics.store(meet, 0, 1);
    arrive(meet, 2, 50);
    expect(Array.from(meet)).toEqual([0, 1]);
    const t = performance.now();
    expect(() => arrive(meet, 2, 50)).toThrow(/a training shard stopped: the others waited for it in vain/);
    expect(performance.now() - t).toBeGreaterThanOrEqual(45);
    arrive(new Int32Array(new ArrayBuffer(8)), 1); // one shard meets nobody
  });

  it('plans a shard per thread and image within the memory budget, and checks MEMLENS_TRAIN_SHARDS', () => {
    process.env.MEMLENS_MEMORY_MB = '512';
    try {
      const demo = 1.65e6; // the demo CNN's params, bytes: ~102 MiB a shard, 5 beyond the first fit
      expect(shardPlan(2, 64, demo)).toMatchObject({ shards: 2, threads: 1 });
      expect(shardPlan(16, 64, demo)).toMatchObject({ shards: 4, threads: 4 }); // 6 fit; 4 divide 16
      expect(shardPlan(6, 3, demo)).toMatchObject({ shards: 3, threads: 2 });
      expect(shardPlan(1, 64, demo)).toMatchObject({ shards: 1, threads: 1 });
      // ResNet-50 (102 MB of params): ~1.4 GiB a shard, over the budget
      expect(shardPlan(2, 8, 102e6)).toMatchObject({ shards: 1, threads: 2 });
      process.env.MEMLENS_MEMORY_MB = '4096';
      expect(shardPlan(2, 8, 102e6)).toMatchObject({ shards: 2, threads: 1 });
    } finally {
      delete process.env.MEMLENS_MEMORY_MB;
    }
    process.env.MEMLENS_TRAIN_SHARDS = '0';
    expect(() => shardPlan(2, 64, 0)).toThrow(/MEMLENS_TRAIN_SHARDS must be a whole number >= 1, got '0'/);
    process.env.MEMLENS_TRAIN_SHARDS = '3';
    expect(shardPlan(2, 64, 0)).toMatchObject({ shards: 3, threads: 1 });
  });
});
