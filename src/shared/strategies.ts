// The pruning strategies: the one list the CLI, the API checks, selection, the sweep, the saved-sweep
// reader, the report and the screens read. A strategy is a way to rank a layer's units (the highest
// priority is pruned first); adding one here (plus, for a new kind of ranking, its case in
// src/main/engine/prune/select.ts) is all it takes. docs/PRUNING.md describes each.

/** How a strategy ranks units. */
export type Ranking =
  /** UnitMem of the unpruned model; `order` 'desc' prunes the most memorizing units first. */
  | { by: 'unitmem'; order: 'desc' | 'asc' }
  /** A seeded uniform draw per unit. */
  | { by: 'random' }
  /** The Lp norm of the unit's weights (its output slice), smallest first, each layer scaled by its mean. */
  | { by: 'weight-norm'; p: number };

export interface StrategyInfo {
  name: string;
  /** Shown after "prune …" in the app. */
  label: string;
  /** True when the strategy needs a UnitMem scores document. */
  needsScores: boolean;
  ranks: Ranking;
  /** Line and marker colour in charts (the app's and report.html's). */
  color: string;
  /** Checked by default on the Compare screen. */
  compareByDefault: boolean;
}

export const STRATEGIES = [
  {
    name: 'high',
    label: 'highest UnitMem',
    needsScores: true,
    ranks: { by: 'unitmem', order: 'desc' },
    color: '#d62728',
    compareByDefault: true,
  },
  {
    name: 'low',
    label: 'lowest UnitMem',
    needsScores: true,
    ranks: { by: 'unitmem', order: 'asc' },
    color: '#2ca02c',
    compareByDefault: true,
  },
  {
    name: 'random',
    label: 'random units',
    needsScores: false,
    ranks: { by: 'random' },
    color: '#7f7f7f',
    compareByDefault: true,
  },
  {
    name: 'l1',
    label: 'smallest L1 weight norm',
    needsScores: false,
    ranks: { by: 'weight-norm', p: 1 },
    color: '#1f77b4',
    compareByDefault: false,
  },
  {
    name: 'magnitude-l2',
    label: 'smallest L2 weight norm',
    needsScores: false,
    ranks: { by: 'weight-norm', p: 2 },
    color: '#9467bd',
    compareByDefault: false,
  },
] as const satisfies readonly StrategyInfo[];

export type PruneStrategy = (typeof STRATEGIES)[number]['name'];

export const STRATEGY_NAMES: readonly PruneStrategy[] = STRATEGIES.map((s) => s.name);

/** The unpruned model's point in a sweep ('none') is drawn in this colour. */
export const BASELINE_COLOR = '#444';

/**
 * A fine-tuned encoder's point in a comparison (`memlens compare --finetuned`, docs/compare.md): not a
 * pruning strategy (never a `--strategies` value), but a point drawn and tabled like one.
 */
export const FINETUNED = 'finetuned';
export const FINETUNED_COLOR = '#ff7f0e';

/** What a point of a comparison is: the unpruned model, a pruning strategy, or a fine-tuned encoder. */
export type PointStrategy = PruneStrategy | 'none' | typeof FINETUNED;

/** Every point strategy a saved comparison may hold. */
export const POINT_STRATEGIES: readonly PointStrategy[] = ['none', ...STRATEGY_NAMES, FINETUNED];

/** The entry of a known strategy name (callers validate names against STRATEGY_NAMES first). */
export function strategyInfo(name: PruneStrategy): StrategyInfo {
  return STRATEGIES.find((s) => s.name === name)!;
}

/** Chart colour of a strategy, of a fine-tuned point, or of the baseline 'none'. */
export function strategyColor(name: string): string {
  if (name === FINETUNED) return FINETUNED_COLOR;
  return STRATEGIES.find((s) => s.name === name)?.color ?? BASELINE_COLOR;
}
