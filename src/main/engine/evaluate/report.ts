// report.html: a self-contained page (inline CSS and SVG, no script) with the sweep's two charts —
// accuracy vs pruned fraction per strategy, accuracy vs mean UnitMem — and the summary table
// (with a LayerMem column when the sweep had a reference encoder).
import type { CompareResult } from '../../../shared/api.js';
import { formatCount, formatFixed, formatPercent } from '../../../shared/format.js';
import { strategyColor } from '../../../shared/strategies.js';
import { summarize, type SummaryRow } from './summary.js';
import { escapeHtml, svgChart, type Series } from './svg-chart.js';

const pct = (v: number) => formatPercent(v);

/** One line per strategy and scope, each starting at the unpruned model (fraction 0). */
function fractionSeries(rows: SummaryRow[]): Series[] {
  const none = rows.find((r) => r.strategy === 'none');
  const keys = [...new Set(rows.filter((r) => r.strategy !== 'none').map((r) => `${r.strategy}|${r.scope}`))];
  return keys.map((key) => {
    const [strategy, scope] = key.split('|');
    const own = rows.filter((r) => r.strategy === strategy && r.scope === scope);
    return {
      name: `${strategy} (${scope})`,
      // Global scope is drawn lighter so the two scopes of one strategy stay apart.
      color: scope === 'global' ? `${strategyColor(strategy)}99` : strategyColor(strategy),
      points: [...(none ? [none] : []), ...own].map((r) => ({ x: r.ratio, y: r.accuracy, err: r.accuracyStd })),
    };
  });
}

function unitMemSeries(r: CompareResult): Series[] {
  const strategies = [...new Set(r.points.map((p) => p.strategy))];
  return strategies.map((s) => ({
    name: s,
    color: strategyColor(s),
    points: r.points.filter((p) => p.strategy === s).map((p) => ({ x: p.meanUnitMem, y: p.accuracy })),
  }));
}

function table(rows: SummaryRow[]): string {
  const withLayerMem = rows.some((r) => r.layerMem !== undefined);
  const head = ['strategy', 'scope', 'pruned', 'runs', 'accuracy', 'mean UnitMem', ...(withLayerMem ? ['LayerMem (embedding)'] : []), 'params', 'MFLOPs', 'latency (ms/image)'];
  const body = rows.map((r) =>
    [
      r.strategy,
      r.strategy === 'none' ? '-' : r.scope,
      pct(r.ratio),
      String(r.runs),
      pct(r.accuracy) + (r.runs > 1 ? ` ± ${formatFixed(100 * r.accuracyStd, 1)}` : ''),
      formatFixed(r.meanUnitMem, 4),
      ...(withLayerMem ? [(r.layerMem === undefined ? '-' : formatFixed(r.layerMem, 4))] : []),
      formatCount(r.params),
      (r.flops / 1e6).toFixed(2),
      r.latencyMs.toFixed(3),
    ],
  );
  const row = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table>\n${row(head, 'th')}\n${body.map((b) => row(b, 'td')).join('\n')}\n</table>`;
}

export function compareReport(r: CompareResult): string {
  const rows = summarize(r.points);
  const s = r.settings;
  const reference = (s.layermem as { reference?: { path: string } } | undefined)?.reference?.path;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MemLens comparison — ${escapeHtml(r.model.path)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
code { background: #f4f4f4; padding: 1px 4px; }
</style>
</head>
<body>
<h1>Accuracy versus memorization</h1>
<p>Model <code>${escapeHtml(r.model.path)}</code> (sha256 <code>${r.model.sha256.slice(0, 16)}…</code>).
${escapeHtml(String(s.probe))} probe trained on <code>${escapeHtml(String(s.train))}</code>, tested on <code>${escapeHtml(String(s.test))}</code>.
Units pruned structurally by UnitMem on <code>${escapeHtml(String(s.data))}</code>${reference ? `; LayerMem of the embedding against <code>${escapeHtml(reference)}</code> on the same points` : ''}; random over seeds ${escapeHtml(JSON.stringify(s.seeds))} (mean ± std).
Latency: ${escapeHtml(String(s.latency))}.</p>
<div class="charts">
${svgChart({ title: 'Accuracy vs pruned fraction', xLabel: 'fraction of units pruned', yLabel: 'probe accuracy', series: fractionSeries(rows), lines: true, xFormat: pct, yFormat: pct })}
${svgChart({ title: 'Accuracy vs mean UnitMem of kept units', xLabel: 'mean UnitMem of the remaining units', yLabel: 'probe accuracy', series: unitMemSeries(r), lines: false, xFormat: (v) => v.toFixed(3), yFormat: pct })}
</div>
${table(rows)}
</body>
</html>
`;
}
