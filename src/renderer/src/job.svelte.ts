import type { Progress } from '../../shared/api.js';
import { client } from './api/instance.js';
import { applyProgress, newJobId, type JobView } from './lib/progress.js';

// eslint-disable-next-line svelte/prefer-svelte-reactivity -- which jobs take progress events; no template reads it
const running = new Set<Job>();
// One subscription for the page; each job picks its own events by id.
client.onProgress((p: Progress) => {
  for (const job of running) if (job.view) job.view = applyProgress(job.view, p, Date.now());
});

/** A long call a screen runs: its live progress, its error (the engine's words) and cancel. */
export class Job {
  view = $state.raw<JobView | undefined>(undefined);
  error = $state('');
  busy = $state(false);

  /** Runs `start` with a fresh job id; resolves to undefined when it failed (the error is shown). */
  async run<T>(method: string, start: (jobId: string) => Promise<T>): Promise<T | undefined> {
    const jobId = newJobId(method);
    this.error = '';
    this.busy = true;
    this.view = { jobId, stage: 'starting', done: 0, total: 0, stageStart: Date.now(), metrics: [] };
    running.add(this);
    try {
      return await start(jobId);
    } catch (e) {
      this.error = (e as Error).message;
      return undefined;
    } finally {
      running.delete(this);
      this.busy = false;
      this.view = undefined;
    }
  }

  cancel(): void {
    if (this.view) void client.cancel({ jobId: this.view.jobId });
  }
}

/** A short call (no progress): clears and sets the error like a job does. */
export async function attempt<T>(job: Job, work: () => Promise<T>): Promise<T | undefined> {
  job.error = '';
  job.busy = true;
  try {
    return await work();
  } catch (e) {
    job.error = (e as Error).message;
    return undefined;
  } finally {
    job.busy = false;
  }
}
