import type { LayerMemResult, UnitMemResult } from '../../../shared/api.js';
import { fiveNumbers, mean } from './stats.js';

export interface LayerRow {
  name: string;
  units: number;
  meanUnitMem: number;
  /** UnitMem read from signed values (the raw policy, docs/UNITS.md): it can leave [0, 1]. */
  signed: boolean;
  /** Why UnitMem did not measure the layer (no identifiable unit axis). */
  reason?: string;
  /** Absent until LayerMem has been computed. */
  layermem?: number;
  delta?: number;
}

/**
 * One row per layer, joining UnitMem and LayerMem results by layer name. LayerMem also measures
 * rows UnitMem skips (adds, pools, sublayer outputs); `forward` (the model's layer order) puts
 * every row in graph order, else UnitMem's layers come first.
 */
export function layerRows(
  unitmem?: UnitMemResult,
  layermem?: LayerMemResult,
  forward: readonly string[] = [],
): LayerRow[] {
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
      meanUnitMem: u && u.unitmem.length ? mean(u.unitmem) : Number.NaN,
      signed: u?.signed === true,
      ...(u?.reason ? { reason: u.reason } : {}),
      ...(l ? { layermem: l.layermem, delta: l.delta } : {}),
    };
  });
}

/** The box plot's value axis: UnitMem's range for rates. */
export const UNITMEM_AXIS = { min: 0, max: 1 } as const;

/**
 * Box-plot data of the UnitMem distribution per layer: [min, q1, median, q3, max] in `five`, and in
 * `boxes` clipped to UNITMEM_AXIS, so that a signed layer (raw policy, values like -3 or 49) cannot
 * stretch the axis and flatten every other layer; `signed` marks it and `five` keeps its
 * real numbers for the tooltip.
 */
export function unitMemBoxes(unitmem: UnitMemResult): {
  names: string[];
  signed: boolean[];
  boxes: number[][];
  five: number[][];
} {
  const layers = unitmem.layers.filter((l) => l.unitmem.length);
  const five = layers.map((l) => fiveNumbers(l.unitmem));
  const clip = (v: number) => Math.min(UNITMEM_AXIS.max, Math.max(UNITMEM_AXIS.min, v));
  return {
    names: layers.map((l) => l.name),
    signed: layers.map((l) => l.signed === true),
    boxes: five.map((f) => f.map(clip)),
    five,
  };
}

/**
 * A category axis of layers labelled with their short names; the category value stays the full
 * name, which the axis tooltip shows on hover. Labels turn only when there are too many to fit
 * flat, and the grid's bottom margin follows the longest label.
 */
export function layerAxis(
  names: readonly string[],
  short: ReadonlyMap<string, string>,
): { xAxis: object; bottom: number } {
  const longest = Math.max(0, ...names.map((n) => (short.get(n) ?? n).length));
  const rotate = names.length > 8 ? 30 : 0;
  return {
    xAxis: {
      type: 'category',
      data: names,
      axisLabel: { interval: 0, rotate, formatter: (n: string) => short.get(n) ?? n },
    },
    // ~7 px per character at the axis font; a label turned by 30 degrees rises half its length.
    bottom: 30 + (rotate ? Math.ceil(longest * 7 * 0.5) : 0),
  };
}
