// The memory budget, in one place (docs/SCALE.md "Memory budget and the default batch"): every
// batch-size choice, the decoded-image cache, the median spill's read-back chunks and the view
// worker pool read it. The default batch is the number of images whose activations fit the budget,
// so a 28x28 encoder runs 256-image batches and a ResNet-50 at 224x224 a few, instead of one fixed
// batch that takes 12.8 GB at 224.
import { availableParallelism, totalmem } from 'node:os';
import type { JobControl } from '../../shared/api.js';
import { MemLensError } from './errors.js';
import type { InputSpec } from './infer/input.js';
import { indexModel, mulDims } from './onnx/index.js';
import type { OnnxModel } from './onnx/index.js';

/** No batch is larger: beyond this onnxruntime's CPU throughput no longer improves. */
export const MAX_AUTO_BATCH = 256;
export const MiB = 1 << 20;

/**
 * Bytes a run may spend on batch activations: MEMLENS_MEMORY_MB when set, else an eighth of the
 * machine's memory, at most 512 MiB (the machine is usually shared, and onnxruntime's CPU
 * throughput is flat from a few images per batch: measured on ResNet-50 at 224, each image of the
 * batch costs about 80 MB of RSS, docs/SCALE.md).
 */
export function memoryBudget(): number {
  const env = process.env.MEMLENS_MEMORY_MB;
  if (env !== undefined) {
    const mb = Number(env);
    if (!Number.isFinite(mb) || mb <= 0)
      throw new MemLensError('BAD_INPUT', `MEMLENS_MEMORY_MB must be a positive number, got '${env}'`);
    return mb * MiB;
  }
  return Math.min(totalmem() / 8, 512 * MiB);
}

/**
 * Float bytes one image costs in a run: every node output at batch 1 (static shape inference) —
 * an upper bound on what onnxruntime's planner keeps alive at once — plus the image itself twice
 * (the batch being filled and the copy the session worker runs on).
 */
export function bytesPerImage(model: OnnxModel, input: InputSpec): number {
  const image = input.channels * input.height * input.width;
  const index = indexModel(model.proto, { [input.name]: [1, input.channels, input.height, input.width] });
  let floats = 2 * image;
  for (const node of model.proto.graph!.node) {
    for (const out of node.output) {
      if (!out) continue;
      const shape = index.shape(out);
      const n = shape ? mulDims(shape) : undefined;
      // An unknown or symbolic shape counts as one image's worth, a guess on the generous side.
      floats += typeof n === 'number' ? n : image;
    }
  }
  return floats * 4;
}

export interface AutoBatch {
  batch: number;
  budget: number;
  perImage: number;
}

/**
 * The default batch (images per run) for `model` at `input`'s size; `models` that run on each batch
 * side by side (LayerMem's f and g) share the budget.
 */
export function autoBatch(model: OnnxModel, input: InputSpec, models = 1): AutoBatch {
  const budget = memoryBudget();
  const perImage = bytesPerImage(model, input) * models;
  return { batch: Math.max(1, Math.min(MAX_AUTO_BATCH, Math.floor(budget / perImage))), budget, perImage };
}

/** One line saying what was picked, for the CLI's progress output. */
export const describeBatch = (a: AutoBatch) =>
  `batch ${a.batch} images (auto: ${(a.budget / MiB).toFixed(0)} MiB budget, ~${(a.perImage / MiB).toFixed(1)} MiB per image; --batch N to override)`;

/**
 * The batch of a run: `requested` (--batch) when given, else autoBatch; says which on `ctl.onNote`
 * (the CLI prints it).
 */
export function chooseBatch(
  requested: number | undefined,
  model: OnnxModel,
  input: InputSpec,
  ctl: JobControl,
  models = 1,
): number {
  if (requested !== undefined) {
    ctl.onNote?.(`batch ${requested} images (--batch)`);
    return requested;
  }
  const a = autoBatch(model, input, models);
  ctl.onNote?.(describeBatch(a));
  return a.batch;
}

/**
 * What one view worker costs, on average over a pool: measured on 400x300 JPEGs cut to 224x224
 * (docs/SCALE.md "Data pipeline"), the first worker added 75 MB of peak RSS (its V8 isolate and
 * heap) and each further one about 30 MB.
 */
const BYTES_PER_VIEW_WORKER = 48 * MiB;

export interface ViewWorkers {
  workers: number;
  why: string;
}

/**
 * Inputs smaller than this (64x64) have their views cut on the main thread: a 28x28 batch costs a
 * few milliseconds there, less than a worker's memory is worth (the demo's UnitMem on 2,000
 * samples peaked at 393 MiB with one worker, 306 MiB without: docs/SCALE.md "Data pipeline").
 */
const MIN_POOL_PIXELS = 64 * 64;

/**
 * How many worker threads cut views of `height` x `width` (infer/view-pool.ts):
 * MEMLENS_VIEW_WORKERS when set (0: on the main thread), else none for small inputs, else one per
 * core but the main thread's, at most as many as fit the budget.
 */
export function viewWorkers(height: number, width: number): ViewWorkers {
  const env = process.env.MEMLENS_VIEW_WORKERS;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0)
      throw new MemLensError('BAD_INPUT', `MEMLENS_VIEW_WORKERS must be a whole number >= 0, got '${env}'`);
    return { workers: n, why: 'MEMLENS_VIEW_WORKERS' };
  }
  if (height * width < MIN_POOL_PIXELS) return { workers: 0, why: `auto: ${height}x${width} views are cheap` };
  const cores = availableParallelism();
  const budget = memoryBudget();
  const workers = Math.max(0, Math.min(cores - 1, Math.floor(budget / BYTES_PER_VIEW_WORKER)));
  return { workers, why: `auto: ${cores} cores, ${(budget / MiB).toFixed(0)} MiB budget` };
}
