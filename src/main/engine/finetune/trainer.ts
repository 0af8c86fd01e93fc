// What a fine-tuning step runs: forward, backward and the optimizer update of every param. On one
// onnxruntime session (CUDA, a batch too small to split, no built shard worker), or on shards of
// the batch in worker threads (shards.ts; docs/FINETUNE.md "Data-parallel steps").
import * as ort from 'onnxruntime-node';
import type { JobControl } from '../../../shared/api.js';
import { providerOrder, sessionThreads, type RuntimeOptions } from '../infer/providers.js';
import { builtWorker } from '../workers.js';
import { inTurn } from './in-turn.js';
import { Optimizer, type OptimizerSettings } from './optim.js';
import { ortSession, type OrtSession } from './runtime.js';
import { shardedTrainer, shardPlan, type ShardPlan } from './shards.js';
import { LABELS, LOSS, type TrainingModels } from './training.js';

export interface Param {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** The shapes of a step's feeds. */
export interface StepShape {
  /** The images' graph input and one image's [channels, height, width]. */
  input: string;
  chw: number[];
  classes: number;
  /** The largest batch a step gets. */
  batch: number;
}

export interface Trainer {
  /**
   * One step on the first `n` images (NCHW) and one-hot labels: the params are updated at
   * learning rate `lr`; resolves with the batch's mean loss. Steps run in the order given, and the
   * next may be given before this one is done (the shards then go on to it at once); the arrays
   * must stay as they are until this step is done.
   */
  step(images: Float32Array, labels: Float32Array, n: number, lr: number): Promise<number>;
  /** Writes the params as they are now into the callers' arrays. */
  sync(): void;
  release(): Promise<void>;
}

const CHANGE = 'MEMLENS_TRAIN_SHARDS=N to change';

/** A param as a feed. */
export const paramFeed = (p: Param) => new ort.Tensor('float32', p.data, p.dims);

/** Steps on one session with the rearrangements in JS (runtime.ts); the params are updated in place. */
function sessionTrainer(
  session: OrtSession,
  models: TrainingModels,
  params: Param[],
  shape: StepShape,
  optimizer: OptimizerSettings,
): Trainer {
  const update = new Optimizer(
    params.map((p) => p.data),
    optimizer,
  );
  const image = shape.chw.reduce((a, b) => a * b, 1);
  const step = inTurn(async (images: Float32Array, labels: Float32Array, n: number, lr: number) => {
    const feeds: Record<string, ort.Tensor> = {
      [shape.input]: new ort.Tensor('float32', images.subarray(0, n * image), [n, ...shape.chw]),
      [LABELS]: new ort.Tensor('float32', labels.subarray(0, n * shape.classes), [n, shape.classes]),
    };
    for (const p of params) feeds[p.name] = paramFeed(p);
    const out = await session.run(feeds, [LOSS, ...models.grads]);
    update.step(
      models.grads.map((g) => out[g].data as Float32Array),
      lr,
    );
    return Number(out[LOSS].data[0]);
  });
  return {
    step,
    sync() {},
    release: async () => {
      // a step still running would use the session
      await step.settled();
      await session.session.release();
    },
  };
}

export interface TrainingPlan extends ShardPlan {
  /** The built shard worker where the batch is split; undefined: one session of `threads`. */
  worker?: string;
}

/**
 * How steps run on `runtime` for batches of up to `batch` images and `paramBytes` of params: shards
 * on the CPU when shards.ts's plan splits the batch and the shard worker is built, else one
 * session. The training graph is built for the plan's threads (trainingModels).
 */
export function planTraining(runtime: RuntimeOptions, batch: number, paramBytes: number): TrainingPlan {
  const threads = sessionThreads(runtime);
  const cpuOnly = providerOrder(runtime).length === 1;
  const plan = shardPlan(threads, batch, paramBytes);
  const worker = plan.shards > 1 && cpuOnly ? builtWorker('shard-worker') : undefined;
  if (worker) return { ...plan, worker };
  const why = !cpuOnly
    ? 'CUDA may run it'
    : plan.shards === 1
      ? plan.why
      : 'no shard-worker.js beside the running bundle';
  return { shards: 1, threads, why };
}

/**
 * The trainer for `models.train` (built for `plan`) on `params` (`params[k]` is trained by
 * `models.grads[k]`). Says on `ctl.onNote` what it runs.
 */
export async function openTrainer(
  models: TrainingModels,
  params: Param[],
  shape: StepShape,
  settings: { optimizer: OptimizerSettings; runtime?: RuntimeOptions; plan: TrainingPlan },
  ctl: JobControl = {},
): Promise<Trainer> {
  const { plan } = settings;
  const runtime = settings.runtime ?? {};
  if (plan.worker) {
    const session = await ortSession(models.train, 'the training graph', { ...runtime, threads: plan.threads });
    const sharded = session.cpu
      ? await shardedTrainer({ worker: plan.worker }, session.cpu, plan, models, params, shape, settings.optimizer)
      : undefined;
    await session.session.release();
    if (sharded) {
      const each = `${plan.threads} onnxruntime thread${plan.threads === 1 ? '' : 's'}`;
      ctl.onNote?.(`training steps split over ${plan.shards} worker threads of ${each} (${plan.why}; ${CHANGE})`);
      return sharded;
    }
  }
  const threads = sessionThreads(runtime);
  const why = plan.worker ? 'a rearranged feed that is not a param' : plan.why;
  ctl.onNote?.(`training steps on one session of ${threads} thread${threads === 1 ? '' : 's'} (${why}; ${CHANGE})`);
  const session = await ortSession(models.train, 'the training graph', runtime);
  // On the CPU, a lone shard in this thread: the params, the optimizer and the weights' rearranged
  // copies in one memory the session reads in place, the rearrangements by the kernels of
  // kernels.ts rather than in JS each step (ResNet-50 at batch 8: 2.32 -> 2.16 s a step,
  // docs/FINETUNE.md). What stays on the session trainer: CUDA, whose graph has no rearrangements
  // taken out, and a rearranged feed made from something other than a param.
  const one = { shards: 1, threads, why };
  const local = session.cpu
    ? await shardedTrainer({ session: session.session }, session.cpu, one, models, params, shape, settings.optimizer)
    : undefined;
  return local ?? sessionTrainer(session, models, params, shape, settings.optimizer);
}
