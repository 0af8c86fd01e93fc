// Memorization measured on an encoder of the sweep (docs/compare.md "Memorization"): UnitMem
// re-measured on the encoder itself over its live units, and with a reference g the SSLMem of the
// candidates and of a control set (points f and g both trained on) at the embedding. Pruning that
// damages the encoder raises its view distances on every point; only the candidates' SSLMem
// minus the control's says whether their memorization went down.
import type { JobControl, UnitMemLayerSummary, UnitMemResult } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { outputLayerMem, type OutputLayerMem } from '../metrics/layermem-job.js';
import { computeUnitMem } from '../metrics/unitmem-job.js';
import type { DataSettings } from '../metrics/settings.js';
import type { OnnxModel } from '../onnx/index.js';
import { quantile } from './stats.js';

/** What one encoder's memorization is: per layer its live units' UnitMem, per point its SSLMem. */
export interface Memorization {
  unitmem: { name: string; scores: number[] }[];
  sslmem?: { candidates: number[]; control: number[] };
}

export interface MemorizationPlan {
  /** Every encoder is measured on these settings (the unpruned model's, project augmentations included). */
  unitmem: (model: string, ctl?: JobControl) => Promise<UnitMemResult>;
  sslmem?: { candidates: OutputLayerMem; control: OutputLayerMem };
  settings: Record<string, unknown>;
}

export const CONTROL_REQUIRED =
  'the SSLMem gap needs a control set, points f and the reference both trained on: give --control D (or data.control in the project)';

/**
 * A unit that is zero on every view of every point (a masked unit of a pruned encoder, or a dead
 * ReLU) memorizes nothing and is not a remaining unit: it is left out.
 */
export function liveUnitMem(r: UnitMemResult): Memorization['unitmem'] {
  return r.layers.map((l) => ({ name: l.name, scores: l.unitmem.filter((_, u) => l.muMax[u] !== 0) }));
}

export async function memorizationPlan(
  req: { model: string; data: string; reference?: string; control?: string; views?: number; batch?: number },
  ds: DataSettings,
  ctl: JobControl,
): Promise<MemorizationPlan> {
  if (req.reference && !req.control) throw new MemLensError('BAD_INPUT', CONTROL_REQUIRED);
  // Settings spelled out (augmentations included), so a pruned model in another folder is measured
  // like the unpruned one, whose project file gave them.
  const common = {
    mean: ds.mean,
    std: ds.std,
    // the requested batch only: else each pass picks its own from the memory budget (memory.ts)
    batch: req.batch,
    seed: ds.seed,
    augment: ds.augment,
    views: req.views,
    ...(ds.size ? { size: ds.size } : {}),
    ...(ds.limit !== undefined ? { limit: ds.limit } : {}),
  };
  const unitmem = (model: string, c: JobControl = {}) => computeUnitMem({ model, data: req.data, ...common }, c);
  if (!req.reference) return { unitmem, settings: {} };
  const measure = (data: string) =>
    outputLayerMem({ model: req.model, reference: req.reference!, data, ...common }, ctl);
  const candidates = await measure(req.data);
  const control = await measure(req.control!);
  return {
    unitmem,
    sslmem: { candidates, control },
    settings: { sslmem: { ...candidates.settings, control: control.settings.data } },
  };
}

/** Memorization of `model`; `scores`: its UnitMem when already measured (the unpruned model's). */
export async function measureMemorization(
  plan: MemorizationPlan,
  model: OnnxModel,
  scores: UnitMemResult | undefined,
  ctl: JobControl = {},
): Promise<Memorization> {
  const unitmem = liveUnitMem(scores ?? (await plan.unitmem(model.path, ctl)));
  if (!plan.sslmem) return { unitmem };
  const [c, k] = [await plan.sslmem.candidates.measure(model, ctl), await plan.sslmem.control.measure(model, ctl)];
  return { unitmem, sslmem: { candidates: c.sslmem, control: k.sslmem } };
}

/** Per layer, the live units of every seed's encoder pooled: count (mean over seeds), mean, quartiles. */
export function unitMemLayers(runs: Memorization[]): UnitMemLayerSummary[] {
  return runs[0].unitmem.map((layer, i) => {
    const pooled = runs.flatMap((r) => r.unitmem[i].scores).sort((a, b) => a - b);
    const q = (p: number) => (pooled.length ? quantile(pooled, p) : 0);
    return {
      name: layer.name,
      units: pooled.length / runs.length,
      mean: pooled.length ? pooled.reduce((a, b) => a + b, 0) / pooled.length : 0,
      quartiles: [q(0), q(0.25), q(0.5), q(0.75), q(1)],
    };
  });
}

/** Unit-weighted mean UnitMem over every live unit of every seed's encoder. */
export function meanUnitMem(runs: Memorization[]): number {
  const all = runs.flatMap((r) => r.unitmem.flatMap((l) => l.scores));
  return all.length ? all.reduce((a, b) => a + b, 0) / all.length : 0;
}
