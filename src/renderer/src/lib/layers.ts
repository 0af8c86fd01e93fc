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

/**
 * One row per layer, joining UnitMem and LayerMem results by layer name. LayerMem also measures
 * rows UnitMem skips (adds, pools, sublayer outputs); `forward` (the model's layer order) puts
 * every row in graph order, else UnitMem's layers come first.
 */
export function layerRows(unitmem?: UnitMemResult, layermem?: LayerMemResult, forward: readonly string[] = []): LayerRow[] {
  const um = new Map(unitmem?.layers.map((l) => [l.name, l]));
  const lm = new Map(layermem?.layers.map((l) => [l.name, l]));
  const names = [...new Set([...um.keys(), ...lm.keys()])];
  const at = new Map(forward.map((n, i) => [n, i]));
  if (at.size) names.sort((a, b) => (at.get(a) ?? Infinity) - (at.get(b) ?? Infinity));
  return names.map((name) => {
    const u = um.get(name);
    const l = lm.get(name);
    return {
      name,
      units: u?.units ?? 0,
      meanUnitMem: u ? mean(u.unitmem) : Number.NaN,
      ...(l ? { layermem: l.layermem, delta: l.delta } : {}),
    };
  });
}

/** Box-plot data of the UnitMem distribution per layer: [min, q1, median, q3, max]. */
export function unitMemBoxes(unitmem: UnitMemResult): { names: string[]; boxes: number[][] } {
  return { names: unitmem.layers.map((l) => l.name), boxes: unitmem.layers.map((l) => fiveNumbers(l.unitmem)) };
}

/**
 * A category axis of layers labelled with their short names; the category value stays the full
 * name, which the axis tooltip shows on hover. Labels turn only when there are too many to fit
 * flat, and the grid's bottom margin follows the longest label.
 */
export function layerAxis(names: readonly string[], short: ReadonlyMap<string, string>): { xAxis: object; bottom: number } {
  const longest = Math.max(0, ...names.map((n) => (short.get(n) ?? n).length));
  const rotate = names.length > 8 ? 30 : 0;
  return {
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate, formatter: (n: string) => short.get(n) ?? n } },
    // ~7 px per character at the axis font; a label turned by 30 degrees rises half its length.
    bottom: 30 + (rotate ? Math.ceil(longest * 7 * 0.5) : 0),
  };
}
