// compare.csv: one row per sweep point, the columns of memlens.compare/1 points (layerMem empty
// without a reference encoder).
import type { CompareResult } from '../../../shared/api.js';

const COLUMNS = ['strategy', 'scope', 'ratio', 'seed', 'accuracy', 'meanUnitMem', 'layerMem', 'params', 'flops', 'latencyMs'] as const;

export function compareCsv(r: CompareResult): string {
  const rows = r.points.map((p) => COLUMNS.map((c) => String(p[c] ?? '')).join(','));
  return [COLUMNS.join(','), ...rows, ''].join('\n');
}
