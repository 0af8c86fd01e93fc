// A pool of worker threads that cut a batch's views (docs/SCALE.md "Data pipeline"): the feed reads
// and decodes samples (sharp, on libuv's threads), the pool renders their views in parallel into one
// shared buffer, while the session's own worker runs the previous batch. Each worker runs the same
// routine as the in-process feed (view-task.ts), so a pooled batch equals an in-process one byte
// for byte. The pool's size comes from memory.ts (cores and the memory budget).
import { Worker } from 'node:worker_threads';
import type { JobControl } from '../../../shared/api.js';
import type { RawImage } from '../data/image.js';
import { viewWorkers } from '../memory.js';
import { builtWorker, workerCalls } from '../workers.js';
import { floatsPerSample, type ViewTask } from './view-task.js';

/** A sample to render: its index in the source (the views' seed) and its images. */
export interface ViewSample {
  index: number;
  raws: RawImage[];
}

/** What a worker is sent: samples to render into `buffer` from float `offset` on, sample-major. */
export interface ViewJob {
  task: ViewTask;
  samples: ViewSample[];
  buffer: SharedArrayBuffer;
  offset: number;
}

export interface ViewPool {
  size: number;
  /** Writes the images of `samples` into `out`, sample-major, as renderSample would. */
  render(task: ViewTask, samples: ViewSample[], out: Float32Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Pixels that own their buffer: posting a view into a larger buffer (an IDX file's images are
 * views into the whole file) would clone all of it.
 */
function own(raw: RawImage): RawImage {
  return raw.data.byteOffset === 0 && raw.data.byteLength === raw.data.buffer.byteLength
    ? raw
    : { ...raw, data: raw.data.slice() };
}

/** A pool of `size` (>= 1) view workers running the worker at `path`. */
export function openViewPool(size: number, path: string): ViewPool {
  const workers = Array.from({ length: size }, () => workerCalls(new Worker(path), 'a view worker stopped'));
  let shared = new SharedArrayBuffer(0);
  return {
    size,
    async render(task, samples, out) {
      const floats = floatsPerSample(task);
      const total = samples.length * floats;
      if (shared.byteLength < total * 4) shared = new SharedArrayBuffer(total * 4);
      const buffer = shared;
      const chunk = Math.ceil(samples.length / size);
      const jobs: Promise<void>[] = [];
      for (let w = 0, first = 0; first < samples.length; w++, first += chunk) {
        const part = samples.slice(first, first + chunk).map((s) => ({ index: s.index, raws: s.raws.map(own) }));
        jobs.push(workers[w].call<void>({ task, samples: part, buffer, offset: first * floats } satisfies ViewJob));
      }
      await Promise.all(jobs);
      out.set(new Float32Array(buffer, 0, total));
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * The pool for a run whose views are `height` x `width`, sized by memory.ts, saying on
 * `ctl.onNote` where views are cut; undefined (views on the main thread) when the size is 0 or no
 * built worker is found.
 */
export function startViewPool(height: number, width: number, ctl: JobControl): ViewPool | undefined {
  const { workers, why } = viewWorkers(height, width);
  const path = workers > 0 ? builtWorker('view-worker') : undefined;
  const change = 'MEMLENS_VIEW_WORKERS=N to change';
  if (workers === 0) ctl.onNote?.(`views cut on the main thread (${why}; ${change})`);
  else if (!path) ctl.onNote?.('views cut on the main thread (no view-worker.js beside the running bundle)');
  else ctl.onNote?.(`views cut in ${workers} worker thread${workers === 1 ? '' : 's'} (${why}; ${change})`);
  return path ? openViewPool(workers, path) : undefined;
}
