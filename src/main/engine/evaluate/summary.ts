// Sweep points grouped per (strategy, scope, ratio): mean and sample std over the random seeds,
// the numbers the paper's table and the report's charts show.
import type { ComparePoint } from '../../../shared/api.js';

export interface SummaryRow {
  strategy: ComparePoint['strategy'];
  scope: ComparePoint['scope'];
  ratio: number;
  runs: number;
  accuracy: number;
  /** Sample standard deviation (n - 1) over seeds; 0 for a single run. */
  accuracyStd: number;
  meanUnitMem: number;
  /** Mean LayerMem of the embedding; absent without a reference encoder. */
  layerMem?: number;
  params: number;
  flops: number;
  latencyMs: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function std(v: number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
}

export function summarize(points: ComparePoint[]): SummaryRow[] {
  const groups = new Map<string, ComparePoint[]>();
  for (const p of points) {
    const key = `${p.strategy}|${p.scope}|${p.ratio}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((g) => ({
    strategy: g[0].strategy,
    scope: g[0].scope,
    ratio: g[0].ratio,
    runs: g.length,
    accuracy: mean(g.map((p) => p.accuracy)),
    accuracyStd: std(g.map((p) => p.accuracy)),
    meanUnitMem: mean(g.map((p) => p.meanUnitMem)),
    ...(g[0].layerMem !== undefined ? { layerMem: mean(g.map((p) => p.layerMem!)) } : {}),
    params: mean(g.map((p) => p.params)),
    flops: mean(g.map((p) => p.flops)),
    latencyMs: mean(g.map((p) => p.latencyMs)),
  }));
}
