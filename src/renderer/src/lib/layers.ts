import type { LayerMemResult, UnitMemResult } from '../../../shared/api.js';
import { fiveNumbers, mean } from './stats.js';

export interface LayerRow {
  name: string;
  units: number;
  meanUnitMem: number;
  /** Absent until LayerMem has been computed. */
  layermem?: number;
  delta?: number;
}

/** One row per layer in forward order, joining UnitMem and LayerMem results by layer name. */
export function layerRows(unitmem?: UnitMemResult, layermem?: LayerMemResult): LayerRow[] {
  const lm = new Map(layermem?.layers.map((l) => [l.name, l]));
  const rows: LayerRow[] = (unitmem?.layers ?? []).map((l) => ({
    name: l.name,
    units: l.units,
    meanUnitMem: mean(l.unitmem),
    ...(lm.has(l.name) ? { layermem: lm.get(l.name)!.layermem, delta: lm.get(l.name)!.delta } : {}),
  }));
  // LayerMem may cover layers UnitMem does not (adds, sublayer outputs): keep them, in their own order.
  const seen = new Set(rows.map((r) => r.name));
  for (const l of layermem?.layers ?? []) {
    if (!seen.has(l.name)) rows.push({ name: l.name, units: 0, meanUnitMem: Number.NaN, layermem: l.layermem, delta: l.delta });
  }
  return rows;
}

/** Box-plot data of the UnitMem distribution per layer: [min, q1, median, q3, max]. */
export function unitMemBoxes(unitmem: UnitMemResult): { names: string[]; boxes: number[][] } {
  return { names: unitmem.layers.map((l) => l.name), boxes: unitmem.layers.map((l) => fiveNumbers(l.unitmem)) };
}
