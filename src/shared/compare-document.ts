// The comparison sweep's request and memlens.compare/2 document (docs/compare.md), part of the one
// API contract: documents.ts re-exports this file.
import type { DataOptions, ModelRef } from './api.js';
import type { PruneScope } from './prune-options.js';
import type { PointStrategy, PruneStrategy } from './strategies.js';

export interface CompareRequest extends DataOptions {
  model: string;
  data: string;
  train: string;
  test: string;
  /** Reference encoder g: with `control`, each point gets the SSLMem gap at the embedding. */
  reference?: string;
  /** Points f and g both trained on (ProjectFile data.control); required with `reference`. */
  control?: string;
  strategies: PruneStrategy[];
  ratios: number[];
  scopes?: PruneScope[];
  seeds?: number[];
  probe?: 'linear' | 'knn';
  views?: number;
  /**
   * Fine-tuned encoders of `model` (a `memlens finetune` run's .finetune.json, or the ONNX it
   * exported): each is one point, strategy `finetuned`, measured as the pruned ones and tested against
   * the unpruned model.
   */
  finetuned?: string[];
  /** Folder for compare.json, compare.csv, report.html and the pruned models. */
  out?: string;
  /** Without `out`: keep the sweep in this project's sweeps folder, listed by listSweeps. */
  project?: string;
}

/** A sweep kept in a project's folder, as listed for reopening (newest first). */
export interface SavedSweepInfo {
  /** The folder holding compare.json (openCompare's path). */
  path: string;
  /** When it was written (ISO 8601). */
  created: string;
  /** What the sweep was: from its settings; absent with `error`. */
  strategies?: string[];
  ratios?: number[];
  probe?: string;
  views?: number;
  seeds?: number[];
  reference?: boolean;
  /** Why the folder does not open (a broken or foreign compare.json). */
  error?: string;
}

/** A fine-tune run of a project (an exported encoder with its .finetune.json), as listed for comparing. */
export interface FinetuneRunInfo {
  /** The run's .finetune.json. */
  path: string;
  /** The fine-tuned encoder it exported (what compare's `finetuned` takes). */
  model: string;
  /** When it was written (ISO 8601). */
  created: string;
  layers?: string[];
  epochs?: number;
  /** Head-only and fine-tuned accuracy of the run's own linear head (not the sweep's probe). */
  baseline?: number;
  finetuned?: number;
  /** Why the run cannot join a comparison of the project's model (another model, no export, a head). */
  error?: string;
}

/** [lower, upper] of a 95% interval; null where the document has none (version 1 files). */
export type Interval = [number, number] | null;

/** UnitMem of one layer of a measured encoder, over its live units (pooled over seeds). */
export interface UnitMemLayerSummary {
  name: string;
  /** Live units (some activation on some view), mean over seeds. */
  units: number;
  mean: number;
  /** min, first quartile, median, third quartile, max. */
  quartiles: [number, number, number, number, number];
}

/** The fine-tuned encoder a `finetuned` point measured. */
export interface FinetunedRef {
  path: string;
  sha256: string;
  /** The layers trained (the run's provenance). */
  layers: string[];
}

export interface ComparePoint {
  /** 'none': the unpruned model (ratio 0); 'finetuned': a fine-tuned encoder (ratio 0, see `finetuned`). */
  strategy: PointStrategy;
  scope: 'layer' | 'global';
  ratio: number;
  /** The seeds this point pools (random: every seed of the sweep; the others: the first). */
  seeds: number[];
  accuracy: { mean: number; ci95: Interval; perSeed: number[] };
  memorization: {
    /**
     * measured: UnitMem re-measured on this encoder (mean over its live units, layers as listed);
     * false (version 1 files): the unpruned model's scores of the units kept.
     */
    unitmem: { mean: number; measured: boolean; layers?: UnitMemLayerSummary[] };
    /** Mean SSLMem at the embedding of the candidates and of the control set, and their gap. */
    sslmem?: { candidates: number; control: number; gap: number; ci95: Interval };
  };
  /** With strategy 'finetuned': which encoder. */
  finetuned?: FinetunedRef;
  params: number;
  flops: number;
  latencyMs: number;
}

export type CompareMetric = 'accuracy' | 'sslmemGap';

/**
 * Paired test of `a` against `b` at one cell: the difference a - b. A strategy against random at the
 * same cell, or a fine-tuned encoder (`finetuned` its path) against the unpruned model 'none'.
 */
export interface CompareTest {
  a: PointStrategy;
  b: PointStrategy;
  finetuned?: string;
  scope: 'layer' | 'global';
  ratio: number;
  metric: CompareMetric;
  difference: number;
  ci95: [number, number];
  pValue: number;
  verdict: 'higher' | 'lower' | 'not significant';
}

export interface CompareResult {
  schema: 'memlens.compare/2';
  model: ModelRef;
  /** Everything that changes the numbers: data, probe, views, seeds, bootstrap, reference, control. */
  settings: Record<string, unknown>;
  points: ComparePoint[];
  tests: CompareTest[];
  files?: { json: string; csv: string; html: string };
}
