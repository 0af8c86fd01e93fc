import type { ComparePoint } from '../../../shared/api.js';
import { strategyColor } from '../../../shared/strategies.js';
import { mean } from './stats.js';

export interface Series {
  name: string;
  /** [x, y] pairs sorted by x. */
  data: [number, number][];
  /** The strategy's chart colour (strategies.ts). */
  color: string;
}

const seriesName = (p: ComparePoint) => (p.scope === 'global' ? `${p.strategy} (global)` : p.strategy);

/**
 * Accuracy vs pruned fraction, one line per strategy (and scope): seeds are averaged per ratio, and
 * the unpruned model (strategy 'none') starts every line at ratio 0 so the drops are comparable.
 */
export function accuracySeries(points: readonly ComparePoint[]): Series[] {
  const baseline = points.filter((p) => p.strategy === 'none');
  const groups = new Map<string, ComparePoint[]>();
  for (const p of points) {
    if (p.strategy === 'none') continue;
    const name = seriesName(p);
    groups.set(name, [...(groups.get(name) ?? []), p]);
  }
  return [...groups].map(([name, ps]) => {
    const byRatio = new Map<number, number[]>();
    for (const p of [...baseline.map((b) => ({ ...b, ratio: 0 })), ...ps]) byRatio.set(p.ratio, [...(byRatio.get(p.ratio) ?? []), p.accuracy]);
    const data = [...byRatio].map(([r, accs]) => [r, mean(accs)] as [number, number]).sort((a, b) => a[0] - b[0]);
    return { name, data, color: strategyColor(ps[0].strategy) };
  });
}

/** Accuracy vs mean UnitMem of the pruned model: one point per run, grouped by strategy. */
export function memorizationSeries(points: readonly ComparePoint[]): Series[] {
  const groups = new Map<string, { data: [number, number][]; color: string }>();
  for (const p of points) {
    const name = p.strategy === 'none' ? 'unpruned' : seriesName(p);
    const g = groups.get(name) ?? { data: [], color: strategyColor(p.strategy) };
    g.data.push([p.meanUnitMem, p.accuracy]);
    groups.set(name, g);
  }
  return [...groups].map(([name, g]) => ({ name, data: g.data.sort((a, b) => a[0] - b[0]), color: g.color }));
}

const COLUMNS = ['strategy', 'scope', 'ratio', 'seed', 'accuracy', 'meanUnitMem', 'layerMem', 'params', 'flops', 'latencyMs'] as const;

/** RFC 4180 CSV of the sweep, one row per point (the same columns as the engine's compare.csv). */
export function compareCsv(points: readonly ComparePoint[]): string {
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [COLUMNS.join(','), ...points.map((p) => COLUMNS.map((c) => cell(p[c])).join(','))].join('\n') + '\n';
}
