// Data-parallel training steps on the CPU (docs/FINETUNE.md "Data-parallel steps"): the batch is
// split into shards, each run by a worker thread on a session of its own with fewer intra-op
// threads; the params live in shared memory, and each worker sums the shards' gradients and runs
// the optimizer for the params it owns. The sum is the batch's mean-loss gradient: each shard's is
// weighted by its share of the batch. One onnxruntime thread per small shard does more work per
// second than two threads on the whole batch, whose short ops leave one core waiting on the other.
// A param the graph reads only through rearranged copies (a Conv weight on the blocked kernels) is
// kept in the layout its gradient comes in, so the update reads the gradients in order; sync()
// lays it out as the caller's again.
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { memoryBudget, MiB } from '../memory.js';
import { workerCalls, type WorkerCalls } from '../workers.js';
import { rearrangeInto, unrearrangeInto } from './rearrange.js';
import { sessionOptions } from '../infer/providers.js';
import type { CpuGraph } from './runtime.js';
import { inTurn } from './in-turn.js';
import { kernelMemory, kernels, Layout } from './kernels.js';
import { slotsOf, type OptimizerSettings } from './optim.js';
import { RowSplit } from './row-split.js';
import { Shard, type ShardInit, type ShardLayout, type ShardStep } from './shard.js';
import type { WorkerShardInit } from './shard-worker.js';
import type { Param, StepShape, Trainer } from './trainer.js';
import type { TrainingModels } from './training.js';

export interface ShardPlan {
  shards: number;
  /** Intra-op threads of each shard's session. */
  threads: number;
  why: string;
}

/**
 * What a shard beyond the first costs in peak RSS: its thread's isolate and session, and about 14
 * times the params' bytes (its copies of the params and their rearrangements, its gradients in
 * shared memory and as onnxruntime's outputs, its session's buffers of weight size). Measured on
 * the demo CNN (+78 MB a shard) and ResNet-50 at 224 (+1.4 GB), docs/FINETUNE.md.
 */
const SHARD_BYTES = 80 * MiB;
const SHARD_PARAM_FACTOR = 14;

/**
 * MEMLENS_TRAIN_SHARDS when set, else one shard per thread and at most one per image, as far as
 * the shards beyond the first fit the memory budget (memory.ts) and the threads split evenly.
 */
export function shardPlan(threads: number, batch: number, paramBytes: number): ShardPlan {
  const { shards, why } = shardCount(threads, batch, paramBytes);
  return { shards, threads: Math.max(1, Math.floor(threads / shards)), why };
}

function shardCount(threads: number, batch: number, paramBytes: number): { shards: number; why: string } {
  const env = process.env.MEMLENS_TRAIN_SHARDS;
  if (env !== undefined) {
    const shards = Number(env);
    if (!Number.isInteger(shards) || shards < 1)
      throw new MemLensError('BAD_INPUT', `MEMLENS_TRAIN_SHARDS must be a whole number >= 1, got '${env}'`);
    return { shards, why: 'MEMLENS_TRAIN_SHARDS' };
  }
  const budget = memoryBudget();
  const extra = SHARD_BYTES + SHARD_PARAM_FACTOR * paramBytes;
  // the most that divide the threads evenly: a shard with fewer threads would hold the others up
  let shards = Math.max(1, Math.min(threads, batch, 1 + Math.floor(budget / extra)));
  while (threads % shards !== 0) shards--;
  const why =
    `auto: ${threads} thread${threads === 1 ? '' : 's'}, batch ${batch}, ` +
    `~${(extra / MiB).toFixed(0)} MiB a shard within a ${(budget / MiB).toFixed(0)} MiB budget`;
  return { shards, why };
}

/**
 * MEMLENS_TRAIN_BALANCE=1: each batch split by the shards' measured speed (row-split.ts). The
 * gradient sums then round as the timing split them, so a seed no longer gives the same run to the
 * bit; by default the parts are equal and it does.
 */
function balanced(): boolean {
  const env = process.env.MEMLENS_TRAIN_BALANCE ?? '0';
  if (env !== '0' && env !== '1')
    throw new MemLensError('BAD_INPUT', `MEMLENS_TRAIN_BALANCE must be 0 or 1, got '${env}'`);
  return env === '1';
}

/** Params to owners, largest first, each to the least loaded: the update work split evenly. */
function owners(lengths: number[], shards: number): number[][] {
  const owned = Array.from({ length: shards }, () => [] as number[]);
  const load = new Array<number>(shards).fill(0);
  for (const k of lengths.map((_, k) => k).sort((a, b) => lengths[b] - lengths[a])) {
    const w = load.indexOf(Math.min(...load));
    owned[w].push(k);
    load[w] += lengths[k];
  }
  return owned;
}

/**
 * Where the shards run: worker threads of `worker` (the built shard worker) with sessions of their
 * own, or, for one shard, this thread on `session` (the session that loaded the graph).
 */
export type ShardHost = { worker: string } | { session: ort.InferenceSession };

/**
 * The sharded trainer for the CPU graph `cpu` (the training model as its session loaded it), or
 * undefined when a rearranged feed is made from something other than a param.
 */
export async function shardedTrainer(
  host: ShardHost,
  cpu: CpuGraph,
  plan: ShardPlan,
  models: TrainingModels,
  params: Param[],
  shape: StepShape,
  optimizer: OptimizerSettings,
): Promise<Trainer | undefined> {
  const balance = balanced();
  const index = new Map(params.map((p, k) => [p.name, k]));
  if (cpu.edges.inputs.some((r) => !index.has(r.source))) return undefined;
  const unread = new Set(cpu.edges.unread);
  const made = new Map(cpu.edges.outputs.map((r) => [r.name, r]));
  // Per param: the order of its gradient output (param[t] <- output[order[t]]), and the layout it
  // is kept in (that order when the graph does not read it).
  const gradOrder = models.grads.map((g) => made.get(g)?.order);
  const keptAs = params.map((p, k) => (unread.has(p.name) ? gradOrder[k] : undefined));
  const lengths = params.map((p) => p.data.length);
  const space = new Layout();
  const slots = slotsOf(space, lengths);
  const grads = Array.from({ length: plan.shards }, (_, s) =>
    lengths.map((n, k) => (s === 0 ? slots[k].grad : space.add(n))),
  );
  // A gradient laid out unlike its param lands in its own region, and is gathered into the slot's.
  const gathered = lengths.map((n, k) => {
    if (keptAs[k] || !gradOrder[k]) return undefined;
    grads[0][k] = space.add(n);
    return { order: space.add(n) };
  });
  const inputs = cpu.edges.inputs.map((r) => ({
    name: r.name,
    dims: r.dims,
    param: index.get(r.source)!,
    out: space.add(r.order.length),
    order: 0,
    length: r.order.length,
  }));
  const rearranged = { start: inputs[0]?.out ?? 0, end: space.size };
  for (const r of inputs) r.order = space.add(r.length);
  const layout: ShardLayout = { slots, grads, gathered, inputs, rearranged };

  // One shard in this thread: a memory of its own, which its session reads in place (shard.ts).
  const inThread = 'session' in host;
  const k = kernels(kernelMemory(space.size, !inThread));
  params.forEach((p, i) => {
    const region = k.f32.subarray(slots[i].param, slots[i].param + lengths[i]);
    const kept = keptAs[i];
    if (kept) unrearrangeInto(kept, p.data, region);
    else region.set(p.data);
    const g = gathered[i];
    if (g) k.i32.set(gradOrder[i]!, g.order);
  });
  cpu.edges.inputs.forEach((r, j) => {
    const kept = keptAs[inputs[j].param];
    k.i32.set(kept ? r.order.map((t) => kept[t]) : r.order, inputs[j].order);
    k.gather(inputs[j].out, slots[inputs[j].param].param, inputs[j].order, r.order.length);
  });
  const image = shape.chw.reduce((a, b) => a * b, 1);
  const buffer = (bytes: number) => (inThread ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes));
  // Two sets of rows: the next step's are written while the shards may still read this one's.
  const memory = {
    images: [0, 1].map(() => buffer(shape.batch * image * 4)),
    labels: [0, 1].map(() => buffer(shape.batch * shape.classes * 4)),
    meet: buffer(8),
  };
  const owned = owners(lengths, plan.shards);
  const init = (s: number): ShardInit => ({
    input: shape.input,
    chw: shape.chw,
    classes: shape.classes,
    params: params.map((p) => ({ name: p.name, dims: p.dims, read: !unread.has(p.name) })),
    fetches: models.grads.map((g) => made.get(g)?.source ?? g),
    layout,
    owned: owned[s],
    optimizer,
    shard: s,
    memory: k.memory,
    ...memory,
  });
  const shards: Pick<WorkerCalls, 'call' | 'terminate'>[] = [];
  if (inThread) {
    const shard = new Shard(init(0), host.session);
    shards.push({
      call: async <T>(m: object) => (await shard.step(m as ShardStep)) as T,
      terminate: () => host.session.release(),
    });
  } else
    try {
      for (let s = 0; s < plan.shards; s++)
        shards.push(workerCalls(new Worker(host.worker), 'a training shard stopped'));
      const options = sessionOptions(plan.threads, 'cpu');
      await Promise.all(
        shards.map((w, s) => w.call<void>({ ...init(s), bytes: cpu.bytes, options } satisfies WorkerShardInit)),
      );
    } catch (e) {
      await Promise.all(shards.map((w) => w.terminate()));
      throw e;
    }
  const images = memory.images.map((b) => new Float32Array(b));
  const labels = memory.labels.map((b) => new Float32Array(b));
  const region = (i: number) => k.f32.subarray(slots[i].param, slots[i].param + lengths[i]);
  const rows = new RowSplit(plan.shards);
  const post = async (set: number, x: Float32Array, y: Float32Array, n: number, lr: number) => {
    images[set].set(x.subarray(0, n * image));
    labels[set].set(y.subarray(0, n * shape.classes));
    const parts = rows.split(n);
    const scales = parts.map(([, count]) => count / n);
    // every shard gets the step, rows or not: they meet before the updates (shard.ts)
    const done = await Promise.all(
      parts.map(([first, count], s) =>
        shards[s].call<[number, number]>({ first, count, lr, scales, set } satisfies ShardStep),
      ),
    );
    if (balance)
      rows.record(
        parts.map(([, count]) => count),
        done.map(([, ms]) => ms),
      );
    return done.reduce((sum, [loss], s) => sum + scales[s] * loss, 0);
  };
  // Each set of rows is rewritten once the last step given it is done. So a step reaches the
  // shards when the one two before it is done, after the one before it (the shards finish in order).
  const sets = [inTurn(post), inTurn(post)];
  let steps = 0;
  return {
    step(x, y, n, lr) {
      const set = steps++ % 2;
      return sets[set](set, x, y, n, lr);
    },
    sync() {
      params.forEach((p, i) => {
        const kept = keptAs[i];
        if (kept) rearrangeInto(kept, region(i), p.data);
        else p.data.set(region(i));
      });
    },
    release: async () => {
      // steps still running: a worker ended in the middle of onnxruntime's run takes the process down
      await Promise.all(sets.map((s) => s.settled()));
      await Promise.all(shards.map((w) => w.terminate()));
    },
  };
}
