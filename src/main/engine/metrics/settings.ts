// Settings shared by the metric jobs: request values, else the project beside the model, else the
// defaults (docs/DATA.md "Preprocessing": normalization from the project, else 0.5/0.5). Every value that changes
// the numbers ends up in the result's `settings` and in the cache key.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  ACTIVATION_POLICIES,
  DEFAULT_ACTIVATION,
  type ActivationPolicy,
  type AugmentSettings,
  type DataOptions,
  type Normalization,
  type NormalizationSource,
} from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import type { DataSource } from '../data/source.js';
import { resolveAugment } from '../data/views.js';
import { loadProject } from '../project/project.js';

export const DEFAULT_BATCH = 256;
export const DEFAULT_SEED = 0;

export interface DataSettings {
  data: string;
  mean: number[];
  std: number[];
  /** Recorded in every result: a wrong normalization silently changes every number. */
  normalizationFrom: NormalizationSource;
  size?: [number, number];
  batch: number;
  seed: number;
  limit?: number;
  augment: AugmentSettings;
}

/** Normalization and augmentation of the project file next to the model, when there is one. */
async function projectDefaults(model: string): Promise<{ normalization?: Normalization; augment?: AugmentSettings }> {
  const file = join(dirname(resolve(model)), 'project.memlens.json');
  if (!existsSync(file)) return {};
  try {
    const p = await loadProject(file);
    return { normalization: p.normalization, augment: p.augment };
  } catch {
    return {}; // a broken project file is reported where it is opened, not here
  }
}

export async function dataSettings(
  req: DataOptions & { model: string; data: string; augment?: Partial<AugmentSettings> | 'simclr' | 'none' },
): Promise<DataSettings> {
  const project = await projectDefaults(req.model);
  const batch = req.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1)
    throw new MemLensError('BAD_INPUT', `batch must be a positive integer, got ${batch}`);
  const augment = req.augment === undefined && project.augment ? project.augment : resolveAugment(req.augment);
  const normalizationFrom: NormalizationSource =
    req.mean !== undefined || req.std !== undefined ? 'request' : project.normalization ? 'project' : 'default';
  return {
    data: resolve(req.data),
    mean: req.mean ?? project.normalization?.mean ?? [0.5],
    std: req.std ?? project.normalization?.std ?? [0.5],
    normalizationFrom,
    ...(req.size ? { size: req.size } : {}),
    batch,
    seed: req.seed ?? DEFAULT_SEED,
    ...(req.limit !== undefined ? { limit: req.limit } : {}),
    augment,
  };
}

/**
 * Views per sample: the request's; else all the views of a view folder used as given (augment
 * none; minus its anchor with `anchor`); else `fallback`. Plain images without augmentation have
 * one distinct view.
 */
export async function viewCount(
  requested: number | undefined,
  source: DataSource,
  augment: AugmentSettings,
  fallback: number,
  anchor = false,
): Promise<number> {
  if (augment.kind === 'none' && !source.readViews) return 1;
  const given =
    augment.kind === 'none' && requested === undefined
      ? (await source.readViews!(0)).length - (anchor ? 1 : 0)
      : undefined;
  const v = requested ?? given ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new MemLensError('BAD_INPUT', `views must be a positive integer, got ${v}`);
  return v;
}

/** The request's activation policy (docs/UNITS.md), else the default; it goes into settings and so the cache key. */
export function activationPolicy(requested: string | undefined): ActivationPolicy {
  const a = requested ?? DEFAULT_ACTIVATION;
  if (!(ACTIVATION_POLICIES as readonly string[]).includes(a)) {
    throw new MemLensError('BAD_INPUT', `activation must be one of ${ACTIVATION_POLICIES.join(', ')}, got ${a}`);
  }
  return a as ActivationPolicy;
}
