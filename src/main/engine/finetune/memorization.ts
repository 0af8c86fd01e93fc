// What fine-tuning did to memorization, measured as the comparison measures a pruned encoder
// (docs/compare.md "Memorization"): UnitMem re-measured on the encoder before and after, and with a
// reference and a control set the SSLMem gap at the embedding. The fine-tuned encoder is measured
// from a head-less copy in a temp folder, so its rows are the original's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FinetuneResult, JobControl } from '../../../shared/api.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { memorizationOf } from '../evaluate/aggregate.js';
import { measureMemorization, memorizationPlan } from '../evaluate/memorization.js';
import type { DataSettings } from '../metrics/settings.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { exportFinetuned } from './export.js';
import type { Param } from './loop.js';

export async function memorizationBeforeAfter(
  req: { candidates: string; reference?: string; control?: string },
  ds: DataSettings,
  model: OnnxModel,
  tuned: Param[],
  ctl: JobControl,
): Promise<NonNullable<FinetuneResult['memorization']>> {
  // The gap needs both; a reference alone (it ranks layers for `auto`) measures UnitMem only.
  const ssl = req.reference && req.control ? { reference: req.reference, control: req.control } : {};
  const plan = await memorizationPlan(
    { model: model.path, data: req.candidates, views: COMPARE_DEFAULTS.views, ...ssl },
    { ...ds, data: req.candidates },
    ctl,
  );
  const dir = await mkdtemp(join(tmpdir(), 'memlens-finetune-'));
  try {
    const file = join(dir, 'encoder.onnx');
    await exportFinetuned({ source: model, encoder: tuned, provenance: {}, out: file });
    const before = await measureMemorization(plan, model, undefined, ctl);
    const after = await measureMemorization(plan, await loadModel(file), undefined, ctl);
    return { candidates: req.candidates, before: memorizationOf([before]), after: memorizationOf([after]) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
