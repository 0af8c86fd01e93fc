import type { ComparePoint, FinetuneRunInfo, SavedSweepInfo } from '../../../shared/api.js';
import { fileName, percent } from '../../../shared/compare-format.js';
import { FINETUNED, strategyColor } from '../../../shared/strategies.js';

/** [x, accuracy %, lower %, upper %]: the interval is the point's 95% one (the point itself without one). */
export type Datum = [number, number, number, number];

export interface Series {
  name: string;
  /** Sorted by x. */
  data: Datum[];
  /** The strategy's chart colour (strategies.ts), the same on every chart and in report.html. */
  color: string;
}

const seriesName = (p: ComparePoint) => (p.scope === 'global' ? `${p.strategy} (global)` : p.strategy);

/** Accuracy in percent, where people read percent, with its interval. */
function datum(x: number, p: ComparePoint): Datum {
  const [lo, hi] = p.accuracy.ci95 ?? [p.accuracy.mean, p.accuracy.mean];
  return [x, 100 * p.accuracy.mean, 100 * lo, 100 * hi];
}

function grouped(
  points: readonly ComparePoint[],
  name: (p: ComparePoint) => string,
  x: (p: ComparePoint) => number,
): Series[] {
  const groups = new Map<string, Series>();
  for (const p of points) {
    const g = groups.get(name(p)) ?? { name: name(p), data: [], color: strategyColor(p.strategy) };
    g.data.push(datum(x(p), p));
    groups.set(g.name, g);
  }
  return [...groups.values()].map((g) => ({ ...g, data: g.data.sort((a, b) => a[0] - b[0]) }));
}

/**
 * Accuracy vs pruned fraction, one line per strategy (and scope); the unpruned model (strategy
 * 'none') starts every line at ratio 0 so the drops are comparable. A fine-tuned encoder has no
 * pruned fraction: it is on the memorization chart only.
 */
export function accuracySeries(points: readonly ComparePoint[]): Series[] {
  const baseline = points.filter((p) => p.strategy === 'none');
  const pruned = points.filter((p) => p.strategy !== 'none' && p.strategy !== FINETUNED);
  return grouped(pruned, seriesName, (p) => p.ratio).map((s) => ({
    ...s,
    data: [...baseline.map((b) => datum(0, b)), ...s.data],
  }));
}

/** What the scatter's x axis is: the SSLMem gap where every point has one, else mean UnitMem. */
export function memorizationAxis(points: readonly ComparePoint[]): { name: string; of: (p: ComparePoint) => number } {
  if (points.length && points.every((p) => p.memorization.sslmem)) {
    return { name: 'SSLMem gap (candidates − control)', of: (p) => p.memorization.sslmem!.gap };
  }
  const measured = points.every((p) => p.memorization.unitmem.measured);
  return {
    name: measured ? 'mean UnitMem (re-measured)' : 'mean UnitMem of kept units (not re-measured)',
    of: (p) => p.memorization.unitmem.mean,
  };
}

/** Accuracy vs measured memorization: one point per strategy and cell, the unpruned model on its own. */
export function memorizationSeries(points: readonly ComparePoint[]): Series[] {
  const axis = memorizationAxis(points);
  return grouped(points, (p) => (p.strategy === 'none' ? 'unpruned' : seriesName(p)), axis.of);
}

/**
 * An echarts option: each series as a line (or scatter) plus its 95% interval as error bars in the
 * same colour (a custom series under the same name, so the legend toggles both). Accuracy axis
 * fixed at 0-100 %.
 */
export function chartOption(series: Series[], xName: string, line: boolean, xPercent: boolean) {
  type Api = { value: (i: number) => number; coord: (v: number[]) => number[]; style: () => Record<string, unknown> };
  const bar = (color: string) => (_: unknown, api: Api) => {
    const [x, lo, hi] = [api.value(0), api.value(2), api.value(3)];
    const [px, top] = api.coord([x, hi]);
    const [, bottom] = api.coord([x, lo]);
    const style = { stroke: color, lineWidth: 1.5 };
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1: px, y1: top, x2: px, y2: bottom }, style },
        { type: 'line', shape: { x1: px - 4, y1: top, x2: px + 4, y2: top }, style },
        { type: 'line', shape: { x1: px - 4, y1: bottom, x2: px + 4, y2: bottom }, style },
      ],
    };
  };
  return {
    tooltip: { trigger: 'item', valueFormatter: (v: number) => (typeof v === 'number' ? v.toFixed(2) : String(v)) },
    legend: { top: 0, data: series.map((s) => s.name) },
    grid: { top: 50, left: 60, right: 30, bottom: 50 },
    xAxis: {
      type: 'value',
      name: xName,
      nameLocation: 'middle',
      nameGap: 28,
      scale: !xPercent,
      ...(xPercent ? { axisLabel: { formatter: (v: number) => `${Math.round(100 * v)}%` } } : {}),
    },
    yAxis: { type: 'value', name: 'accuracy (%)', min: 0, max: 100 },
    series: series.flatMap((s) => [
      {
        name: s.name,
        type: line ? 'line' : 'scatter',
        data: s.data,
        symbolSize: 8,
        itemStyle: { color: s.color },
        lineStyle: { color: s.color },
        encode: { x: 0, y: 1 },
      },
      {
        name: s.name,
        type: 'custom',
        data: s.data,
        renderItem: bar(s.color),
        encode: { x: 0, y: [2, 3] },
        z: 1,
        silent: true,
      },
    ]),
  };
}

/** One line for a sweep kept in the project: when, and the settings it ran with. */
export function savedSweepLabel(s: SavedSweepInfo): string {
  const when = s.created.replace('T', ' ').slice(0, 19);
  if (s.error) return `${when} · cannot be opened: ${s.error}`;
  const ratios = (s.ratios ?? []).map((r) => `${Math.round(100 * r)}%`).join(', ');
  return `${when} · ${s.strategies?.join(', ')} at ${ratios} · ${s.probe} probe · ${s.views} views · seeds ${s.seeds?.join(', ')}${s.reference ? ' · SSLMem gap' : ''}`;
}

/** One line for a fine-tune run of the project: what it trained and its own head's accuracies. */
export function finetuneRunLabel(r: FinetuneRunInfo): string {
  const when = r.created.replace('T', ' ').slice(0, 19);
  const what = `${fileName(r.model || r.path)} · layers ${r.layers?.join(', ') ?? '?'} · ${r.epochs ?? '?'} epochs`;
  const accuracy =
    r.baseline !== undefined && r.finetuned !== undefined
      ? ` · head only ${percent(r.baseline)}%, fine-tuned ${percent(r.finetuned)}%`
      : '';
  return `${when} · ${what}${accuracy}${r.error ? ` · cannot be compared: ${r.error}` : ''}`;
}
