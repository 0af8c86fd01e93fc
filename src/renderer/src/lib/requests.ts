// Requests built from the open project and a screen's form, so every screen sends the project's
// own data paths and normalization (the engine never guesses them).
import { DEFAULT_ACTIVATION } from '../../../shared/api.js';
import type {
  ActivationPolicy,
  ClassMemRequest,
  CompareRequest,
  FinetuneRequest,
  LayerMemRequest,
  ProjectInfo,
  PruneRequest,
  PruneStrategy,
  UnitMemRequest,
  UnitMemResult,
} from '../../../shared/api.js';
import {
  PRUNE_DEFAULTS,
  type AttentionUnit,
  type Coupling,
  type PruneMode,
  type PruneScope,
} from '../../../shared/prune-options.js';
import { strategyInfo } from '../../../shared/strategies.js';

const norm = (p: ProjectInfo) => ({ mean: p.normalization.mean, std: p.normalization.std });

function need(value: string | undefined, what: string, p: ProjectInfo): string {
  if (!value) throw new Error(`project ${p.name} has no ${what}; add it to ${p.path}`);
  return value;
}

export function unitmemRequest(
  p: ProjectInfo,
  views: number,
  activation: ActivationPolicy = DEFAULT_ACTIVATION,
): UnitMemRequest {
  return { model: p.model, data: p.data.candidates, views, augment: p.augment, activation, ...norm(p) };
}

export function classmemRequest(p: ProjectInfo, activation: ActivationPolicy = DEFAULT_ACTIVATION): ClassMemRequest {
  return { model: p.model, data: p.data.candidates, activation, ...norm(p) };
}

export function layermemRequest(p: ProjectInfo, views: number): LayerMemRequest {
  return {
    model: p.model,
    reference: need(p.reference, 'reference encoder', p),
    data: p.data.candidates,
    views,
    augment: p.augment,
    ...norm(p),
  };
}

export interface PruneForm {
  strategy: PruneStrategy;
  scope: PruneScope;
  ratio: number;
  mode: PruneMode;
  seed: number;
  coupling: Coupling;
  attention: AttentionUnit;
  embeddingWidth: boolean;
  align: number;
  keepOutput: boolean;
  /** Layers left out of the ranking (they keep every unit). */
  exclude: string[];
}

/** The Prune screen's starting form: the engine's defaults (prune-options.ts). */
export const PRUNE_FORM: PruneForm = {
  strategy: 'low',
  scope: 'layer',
  ratio: 0.2,
  mode: PRUNE_DEFAULTS.mode,
  seed: PRUNE_DEFAULTS.seed,
  coupling: PRUNE_DEFAULTS.coupling,
  attention: PRUNE_DEFAULTS.attention,
  embeddingWidth: false,
  align: PRUNE_DEFAULTS.align,
  keepOutput: false,
  exclude: [],
};

/** Without `out` the engine only previews (nothing is written). */
export function pruneRequest(
  p: ProjectInfo,
  f: PruneForm,
  scores: UnitMemResult | undefined,
  out?: string,
): PruneRequest {
  const needsScores = strategyInfo(f.strategy).needsScores;
  if (!scores && needsScores)
    throw new Error(`strategy '${f.strategy}' needs UnitMem: compute it on the Layers screen first`);
  return {
    model: p.model,
    strategy: f.strategy,
    scope: f.scope,
    ratio: f.ratio,
    mode: f.mode,
    seed: f.seed,
    coupling: f.coupling,
    attention: f.attention,
    embeddingWidth: f.embeddingWidth,
    align: f.align,
    keepOutput: f.keepOutput,
    ...(f.exclude.length ? { exclude: f.exclude } : {}),
    ...(scores && needsScores ? { scores } : {}),
    ...(out ? { out } : {}),
  };
}

export function compareRequest(
  p: ProjectInfo,
  strategies: PruneStrategy[],
  ratios: number[],
  scopes: ('layer' | 'global')[],
  probe: 'knn' | 'linear',
  views: number,
  seeds?: number[],
  finetuned: string[] = [],
): CompareRequest {
  if (strategies.length === 0) throw new Error('choose at least one strategy');
  return {
    model: p.model,
    data: p.data.candidates,
    train: need(p.data.train, 'train data', p),
    test: need(p.data.test, 'test data', p),
    // With a reference and a control set every point also gets the SSLMem gap (docs/compare.md).
    ...(p.reference && p.data.control ? { reference: p.reference, control: p.data.control } : {}),
    // Kept in the project's sweeps folder, listed for reopening.
    project: p.path,
    strategies,
    ratios,
    scopes,
    probe,
    views,
    ...(seeds ? { seeds } : {}),
    // Fine-tuned encoders of the model (listFinetuneRuns): a point each.
    ...(finetuned.length ? { finetuned } : {}),
    ...norm(p),
  };
}

export function finetuneRequest(
  p: ProjectInfo,
  layers: string[],
  epochs: number,
  lr: number,
  out?: string,
): FinetuneRequest {
  if (layers.length === 0) throw new Error('choose at least one layer to fine-tune');
  return {
    model: p.model,
    train: need(p.data.train, 'train data', p),
    test: need(p.data.test, 'test data', p),
    layers: layers.join(','),
    ...(p.reference ? { reference: p.reference } : {}),
    // With the control set the result also gets the SSLMem gap before and after.
    ...(p.data.control ? { control: p.data.control } : {}),
    epochs,
    lr,
    ...(out ? { out } : {}),
    ...norm(p),
  };
}
