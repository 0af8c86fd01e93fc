import type { JobControl, Progress } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';

export type ProgressListener = (p: Progress) => void;

/**
 * Running jobs by id: each gets its own AbortController (so cancel(jobId) stops exactly that job)
 * and its progress is fanned out to every subscriber (IPC window, WebSocket clients, tests).
 */
export class JobRegistry {
  private readonly running = new Map<string, AbortController>();
  private readonly listeners = new Set<ProgressListener>();
  private nextId = 1;

  /** Returns the unsubscribe function. */
  subscribe(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `work` as job `jobId` (an internal id when the caller gave none). */
  async run<T>(jobId: string | undefined, work: (ctl: JobControl) => Promise<T>): Promise<T> {
    const id = jobId ?? `job-${this.nextId++}`;
    if (this.running.has(id)) throw new MemLensError('BAD_INPUT', `job ${id} is already running`);
    const ctrl = new AbortController();
    this.running.set(id, ctrl);
    const onProgress: JobControl['onProgress'] = (done, total, stage, metrics) => {
      const p: Progress = metrics ? { jobId: id, done, total, stage, metrics } : { jobId: id, done, total, stage };
      for (const l of this.listeners) l(p);
    };
    try {
      return await work({ signal: ctrl.signal, onProgress });
    } finally {
      this.running.delete(id);
    }
  }

  /** True when the job was running; cancelling a finished job is not an error (it raced). */
  cancel(jobId: string): boolean {
    const ctrl = this.running.get(jobId);
    ctrl?.abort();
    return ctrl !== undefined;
  }

  get active(): string[] {
    return [...this.running.keys()];
  }
}
