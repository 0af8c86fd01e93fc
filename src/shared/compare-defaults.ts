// Defaults of an accuracy-versus-memorization sweep: the one definition `memlens compare`, the
// demo and the Compare screen use, so a sweep run in the app measures what the CLI would.
import { DEFAULT_UNITMEM_VIEWS } from './metric-defaults.js';

export const COMPARE_DEFAULTS = {
  probe: 'linear',
  /** Views per point, for re-measured UnitMem and for SSLMem (the UnitMem default). */
  views: DEFAULT_UNITMEM_VIEWS,
  /** Seeds of the random strategy; the deterministic strategies run with the first. */
  seeds: [0, 1, 2],
  ratios: [0.1, 0.2],
  scope: 'layer',
} as const satisfies {
  probe: 'linear' | 'knn';
  views: number;
  seeds: readonly number[];
  ratios: readonly number[];
  scope: 'layer' | 'global';
};
