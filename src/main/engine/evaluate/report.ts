// report.html: a self-contained page (inline CSS and SVG, no script) with the sweep's two charts —
// accuracy vs pruned fraction per strategy, accuracy vs measured memorization — with 95% intervals
// as error bars, the points table, the paired tests and the settings. Colours: strategies.ts. A
// fine-tuned encoder has no pruned fraction: it is drawn on the memorization chart only.
import type { ComparePoint, CompareResult } from '../../../shared/api.js';
import {
  percent,
  percentWithInterval,
  pointName,
  pValue,
  settingsLines,
  signedWithInterval,
  testCell,
  testPair,
} from '../../../shared/compare-format.js';
import { formatCount } from '../../../shared/format.js';
import { FINETUNED, strategyColor } from '../../../shared/strategies.js';
import { escapeHtml, svgChart, type ChartPoint, type Series } from './svg-chart.js';

const pct = (v: number) => `${percent(v, 0)}%`;

const accuracyPoint = (x: number, p: ComparePoint): ChartPoint => ({
  x,
  y: p.accuracy.mean,
  ...(p.accuracy.ci95 ? { lo: p.accuracy.ci95[0], hi: p.accuracy.ci95[1] } : {}),
});

/** One line per strategy and scope, each starting at the unpruned model (fraction 0). */
function fractionSeries(points: ComparePoint[]): Series[] {
  const none = points.find((p) => p.strategy === 'none');
  const pruned = points.filter((p) => p.strategy !== 'none' && p.strategy !== FINETUNED);
  const keys = [...new Set(pruned.map((p) => `${p.strategy}|${p.scope}`))];
  return keys.map((key) => {
    const [strategy, scope] = key.split('|');
    const own = points.filter((p) => p.strategy === strategy && p.scope === scope);
    return {
      name: `${strategy} (${scope})`,
      // Global scope is drawn lighter so the two scopes of one strategy stay apart.
      color: scope === 'global' ? `${strategyColor(strategy)}99` : strategyColor(strategy),
      points: [...(none ? [none] : []), ...own].map((p) => accuracyPoint(p.ratio, p)),
    };
  });
}

/** The measured memorization a point is placed at: the SSLMem gap with a reference, else mean UnitMem. */
export function memorizationAxis(r: CompareResult): { label: string; of: (p: ComparePoint) => number } {
  return r.points.every((p) => p.memorization.sslmem)
    ? { label: 'SSLMem gap, candidates minus control (measured)', of: (p) => p.memorization.sslmem!.gap }
    : {
        label: `mean UnitMem ${r.points.every((p) => p.memorization.unitmem.measured) ? '(re-measured on each encoder)' : '(of the kept units, before pruning)'}`,
        of: (p) => p.memorization.unitmem.mean,
      };
}

function memorizationSeries(r: CompareResult): Series[] {
  const axis = memorizationAxis(r);
  const strategies = [...new Set(r.points.map((p) => p.strategy))];
  return strategies.map((s) => ({
    name: s,
    color: strategyColor(s),
    points: r.points.filter((p) => p.strategy === s).map((p) => accuracyPoint(axis.of(p), p)),
  }));
}

function htmlTable(head: string[], body: string[][]): string {
  const row = (cells: string[], tag: string) =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table>\n${row(head, 'th')}\n${body.map((b) => row(b, 'td')).join('\n')}\n</table>`;
}

function pointsTable(points: ComparePoint[]): string {
  const ssl = points.some((p) => p.memorization.sslmem);
  const head = [
    'strategy',
    'scope',
    'pruned',
    'seeds',
    'accuracy % [95% CI]',
    'mean UnitMem',
    ...(ssl ? ['SSLMem candidates', 'SSLMem control', 'SSLMem gap [95% CI]'] : []),
    'params',
    'MFLOPs',
    'latency (ms/image)',
  ];
  const body = points.map((p) => {
    const s = p.memorization.sslmem;
    return [
      p.finetuned ? pointName(p) : p.strategy,
      p.strategy === 'none' || p.finetuned ? '-' : p.scope,
      pct(p.ratio),
      p.seeds.join(', '),
      percentWithInterval(p.accuracy.mean, p.accuracy.ci95),
      p.memorization.unitmem.mean.toFixed(4) + (p.memorization.unitmem.measured ? '' : ' (not re-measured)'),
      ...(ssl
        ? s
          ? [s.candidates.toFixed(4), s.control.toFixed(4), signedWithInterval(s.gap, s.ci95)]
          : ['-', '-', '-']
        : []),
      formatCount(p.params),
      (p.flops / 1e6).toFixed(2),
      p.latencyMs.toFixed(3),
    ];
  });
  return htmlTable(head, body);
}

function testsTable(r: CompareResult): string {
  if (r.tests.length === 0) return '<p>No paired tests (the sweep has no random strategy to test against).</p>';
  const body = r.tests.map((t) => [
    testPair(t),
    testCell(t),
    t.metric === 'accuracy' ? 'accuracy (points)' : 'SSLMem gap',
    t.metric === 'accuracy' ? percentWithInterval(t.difference, t.ci95) : signedWithInterval(t.difference, t.ci95),
    pValue(t.pValue),
    t.verdict,
  ]);
  return htmlTable(['test', 'cell', 'metric', 'difference [95% CI]', 'p', 'verdict'], body);
}

export function compareReport(r: CompareResult): string {
  const axis = memorizationAxis(r);
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
<p>Model <code>${escapeHtml(r.model.path)}</code> (sha256 <code>${r.model.sha256.slice(0, 16)}…</code>), units pruned structurally.</p>
<ul>
${settingsLines(r)
  .map((l) => `<li>${escapeHtml(l)}</li>`)
  .join('\n')}
</ul>
<div class="charts">
${svgChart({ title: 'Accuracy vs pruned fraction', xLabel: 'fraction of units pruned', yLabel: 'probe accuracy (%)', series: fractionSeries(r.points), lines: true, xFormat: pct, yFormat: pct, yRange: [0, 1] })}
${svgChart({ title: 'Accuracy vs measured memorization', xLabel: axis.label, yLabel: 'probe accuracy (%)', series: memorizationSeries(r), lines: false, xFormat: (v) => v.toFixed(3), yFormat: pct, yRange: [0, 1] })}
</div>
<h2>Points</h2>
${pointsTable(r.points)}
<h2>Paired tests: each strategy against random, each fine-tuned encoder against none</h2>
${testsTable(r)}
</body>
</html>
`;
}
