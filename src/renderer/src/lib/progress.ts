import type { Progress } from '../../../shared/api.js';

export interface JobView {
  jobId: string;
  stage: string;
  done: number;
  total: number;
  /** When the current stage started (ms); ETA is per stage because stages run at different speeds. */
  stageStart: number;
  /** Figures reported along the current stage (fine-tuning: one entry per epoch), in arrival order. */
  metrics: Record<string, number>[];
}

/** Folds a progress event into the view of the running job; events of other jobs are ignored. */
export function applyProgress(view: JobView, p: Progress, now: number): JobView {
  if (p.jobId !== view.jobId) return view;
  const sameStage = p.stage === view.stage;
  const stageStart = sameStage ? view.stageStart : now;
  // Figures belong to their stage (fine-tuning reports a head-only baseline, then the run itself).
  const kept = sameStage ? view.metrics : [];
  const metrics = p.metrics ? [...kept, p.metrics] : kept;
  return { ...view, stage: p.stage, done: p.done, total: p.total, stageStart, metrics };
}

/** Seconds left in the stage at the rate so far; undefined until there is a rate to go by. */
export function etaSeconds(view: JobView, now: number): number | undefined {
  if (view.done <= 0 || view.total <= 0 || view.done >= view.total) return undefined;
  const elapsed = (now - view.stageStart) / 1000;
  return (elapsed / view.done) * (view.total - view.done);
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s left`;
}

export function fraction(view: Pick<JobView, 'done' | 'total'>): number {
  return view.total > 0 ? Math.min(1, view.done / view.total) : 0;
}

let counter = 0;
/** A job id unique within this page (the host only needs it unique among running jobs). */
export function newJobId(method: string): string {
  counter += 1;
  return `${method}-${Date.now().toString(36)}-${counter}`;
}
