// The paper's pruning experiment (docs/METRICS.md "Pruning and fine-tuning"; Wang et al. 2024, Table 2)
// on a project: UnitMem on the candidates, prune 10% and 20% of units per layer and 10% globally by
// highest / random / lowest UnitMem, linear-probe accuracy of each pruned encoder.
import type { CompareResult, JobControl } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { loadProject } from '../project/project.js';
import { summarize } from './summary.js';
import { compare, DEFAULT_SEEDS, type GridCell } from './sweep.js';

export const PAPER_GRID: GridCell[] = [
  { scope: 'layer', ratio: 0.1 },
  { scope: 'layer', ratio: 0.2 },
  { scope: 'global', ratio: 0.1 },
];

export interface PaperOptions {
  seeds?: number[];
  /** Folder for compare.json/csv, report.html and the pruned models; omitted: nothing kept. */
  out?: string;
  /** Cap on samples per data set (quick runs, tests). */
  limit?: number;
}

export async function runPaperExperiment(projectPath: string, opts: PaperOptions = {}, ctl: JobControl = {}): Promise<CompareResult> {
  const p = await loadProject(projectPath);
  const { train, test } = p.data;
  if (!train || !test) {
    throw new MemLensError('BAD_INPUT', `project ${p.path} has no data.train / data.test split to probe on`);
  }
  return compare(
    {
      model: p.model,
      data: p.data.candidates,
      train,
      test,
      mean: p.normalization.mean,
      std: p.normalization.std,
      strategies: ['high', 'random', 'low'],
      ratios: [],
      grid: PAPER_GRID,
      seeds: opts.seeds ?? DEFAULT_SEEDS,
      probe: 'linear',
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.out ? { out: opts.out } : {}),
    },
    ctl,
  );
}

const LABELS: Record<string, string> = { none: 'none', high: 'highest UnitMem', random: 'random', low: 'lowest UnitMem' };
const cellName = (c: GridCell) => `${c.scope === 'layer' ? 'per layer' : 'global'} ${Math.round(100 * c.ratio)}%`;

/** The docs/METRICS.md table (rows none / high / random / low, columns the paper grid) and the ordering check. */
export function paperTable(r: CompareResult): string {
  const rows = summarize(r.points);
  const none = rows.find((x) => x.strategy === 'none');
  const at = (strategy: string, c: GridCell) => rows.find((x) => x.strategy === strategy && x.scope === c.scope && x.ratio === c.ratio);
  const fmt = (v: number, std = 0, runs = 1) => `${(100 * v).toFixed(2)}${runs > 1 ? ` ± ${(100 * std).toFixed(2)}` : ''}`;
  const w = 18;
  const lines = [
    `Linear-probe accuracy (%) after pruning ${r.model.path}`,
    `${'pruned units'.padEnd(w)}${PAPER_GRID.map((c) => cellName(c).padStart(w)).join('')}`,
    `${LABELS.none.padEnd(w)}${PAPER_GRID.map(() => (none ? fmt(none.accuracy) : '-').padStart(w)).join('')}`,
    ...['high', 'random', 'low'].map(
      (s) => `${LABELS[s].padEnd(w)}${PAPER_GRID.map((c) => { const x = at(s, c); return (x ? fmt(x.accuracy, x.accuracyStd, x.runs) : '-').padStart(w); }).join('')}`,
    ),
    `paper (ResNet9, CIFAR10): none 70.44 | per layer 10%: high 53.04, random 58.09, low 62.58 | 20%: 48.30 / 51.34 / 54.84 | global 10%: 49.16 / 56.77 / 62.62`,
  ];
  const holds = PAPER_GRID.map((c) => {
    const [h, rd, l] = ['high', 'random', 'low'].map((s) => at(s, c)?.accuracy ?? NaN);
    return `${cellName(c)}: ${l > rd && rd > h ? 'holds' : 'does not hold'}`;
  });
  lines.push(`ordering low > random > high: ${holds.join('; ')}`);
  return lines.join('\n');
}
