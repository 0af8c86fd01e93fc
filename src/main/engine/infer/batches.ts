// The batched inference loop shared by every metric: samples in order, each sample's images
// (views, or anchor + views) contiguous in the batch. Sessions live in worker threads and copy the
// input when a run starts, so one buffer suffices: batch k+1 is prepared in it while batch k runs.
import type { JobControl } from '../../../shared/api.js';
import { throwIfAborted } from '../errors.js';
import type { Session } from './session.js';

/** One model run per batch: several passes share the batch (LayerMem runs f and g on the same views). */
export interface Pass {
  session: Session;
  inputName: string;
  outputs: string[];
}

export interface BatchPlan {
  /** [channels, height, width] of one image. */
  chw: [number, number, number];
  /** First sample (default 0): a shard or a resumed run starts further in. */
  first?: number;
  /** Number of samples from `first`. */
  count: number;
  /** Images per sample in the batch. */
  perSample: number;
  /** Images per run (rounded down to whole samples, at least one sample). */
  batchImages: number;
  stage: string;
  /** Writes the images of samples [start, start + n) into `out`, sample-major. */
  fill(start: number, n: number, out: Float32Array): Promise<void> | void;
  /** Receives the outputs of samples [start, start + n), one record per pass; awaited before the next. */
  consume(start: number, n: number, outputs: Record<string, Float32Array>[]): Promise<void> | void;
}

function samplesPerBatch(plan: Pick<BatchPlan, 'perSample' | 'batchImages'>): number {
  return Math.max(1, Math.floor(plan.batchImages / plan.perSample));
}

export async function runBatches(passes: Pass[], plan: BatchPlan, ctl: JobControl = {}): Promise<void> {
  const [c, h, w] = plan.chw;
  const image = c * h * w;
  const step = samplesPerBatch(plan);
  const first = plan.first ?? 0;
  const buffer = new Float32Array(step * plan.perSample * image);
  const prepare = (k: number) => {
    const start = first + k * step;
    const n = Math.min(step, first + plan.count - start);
    const buf = buffer.subarray(0, n * plan.perSample * image);
    const ready = Promise.resolve(plan.fill(start, n, buf)).then(() => ({ start, n, buf }));
    // A failure surfaces where the batch is awaited; this keeps Node from calling it unhandled meanwhile.
    ready.catch(() => {});
    return ready;
  };
  const total = Math.ceil(plan.count / step);
  ctl.onProgress?.(0, plan.count, plan.stage);
  let next = total > 0 ? prepare(0) : undefined;
  for (let k = 0; k < total; k++) {
    throwIfAborted(ctl.signal);
    const { start, n, buf } = await next!;
    const input = { data: buf, dims: [n * plan.perSample, c, h, w] };
    const running = passes.map((p) => p.session.run(p.inputName, input, p.outputs));
    next = k + 1 < total ? prepare(k + 1) : undefined;
    const results = await Promise.all(running);
    const outputs = results.map((r, i) => {
      const o: Record<string, Float32Array> = {};
      for (const name of passes[i].outputs) o[name] = r[name].data;
      return o;
    });
    await plan.consume(start, n, outputs);
    ctl.onProgress?.(start + n - first, plan.count, plan.stage);
  }
  throwIfAborted(ctl.signal);
}
