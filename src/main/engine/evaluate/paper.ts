// The paper's pruning experiment (docs/METRICS.md "Pruning and fine-tuning"; Wang et al. 2024, Table 2)
// on a project: UnitMem on the candidates, prune 10% and 20% of units per layer and 10% globally by
// highest / random / lowest UnitMem, linear-probe accuracy of each pruned encoder with its interval,
// memorization measured on it, and per claim of the paper whether it holds here (docs/compare.md).
import type { ComparePoint, CompareResult, CompareTest, JobControl, PruneStrategy } from '../../../shared/api.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { percentWithInterval, pValue, signedWithInterval, testLine } from '../../../shared/compare-format.js';
import { MemLensError } from '../errors.js';
import { loadProject } from '../project/project.js';
import { compare, type GridCell } from './sweep.js';

export const PAPER_GRID: GridCell[] = [
  { scope: 'layer', ratio: 0.1 },
  { scope: 'layer', ratio: 0.2 },
  { scope: 'global', ratio: 0.1 },
];

export interface PaperOptions {
  seeds?: number[];
  /** Folder for compare.json/csv, report.html and the pruned models; omitted: nothing kept. */
  out?: string;
  /** Views per point for the memorization measurements (default COMPARE_DEFAULTS.views). */
  views?: number;
  /** Cap on samples per data set (quick runs, tests). */
  limit?: number;
}

export async function runPaperExperiment(
  projectPath: string,
  opts: PaperOptions = {},
  ctl: JobControl = {},
): Promise<CompareResult> {
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
      // With the project's reference and control set, every point gets the SSLMem gap too.
      ...(p.reference && p.data.control ? { reference: p.reference, control: p.data.control } : {}),
      strategies: ['high', 'random', 'low'],
      ratios: [],
      grid: PAPER_GRID,
      seeds: opts.seeds ?? [...COMPARE_DEFAULTS.seeds],
      ...(opts.views !== undefined ? { views: opts.views } : {}),
      probe: 'linear',
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.out ? { out: opts.out } : {}),
    },
    ctl,
  );
}

const LABELS: Record<string, string> = {
  none: 'none',
  high: 'highest UnitMem',
  random: 'random',
  low: 'lowest UnitMem',
};
const cellName = (c: GridCell) => `${c.scope === 'layer' ? 'per layer' : 'global'} ${Math.round(100 * c.ratio)}%`;

/** The paper's claims, each a paired test against random: the strategy's accuracy is lower / higher. */
const CLAIMS: { strategy: PruneStrategy; expect: 'lower' | 'higher'; text: string }[] = [
  { strategy: 'high', expect: 'lower', text: 'highest UnitMem pruned: lower accuracy than random' },
  { strategy: 'low', expect: 'higher', text: 'lowest UnitMem pruned: higher accuracy than random' },
];

/** holds / reversed / not significant, from the test's verdict and the direction the claim expects. */
export function claimOutcome(
  verdict: CompareTest['verdict'],
  expected: 'lower' | 'higher',
): 'holds' | 'reversed' | 'not significant' {
  if (verdict === 'not significant') return verdict;
  return verdict === expected ? 'holds' : 'reversed';
}

/**
 * The docs/METRICS.md "Pruning and fine-tuning" table (rows none / high / random / low, columns the paper grid; accuracy % with
 * its 95% interval), then per claim and cell: holds, reversed or not significant, with the numbers.
 */
export function paperTable(r: CompareResult): string {
  const at = (strategy: string, c: GridCell) =>
    r.points.find((x) => x.strategy === strategy && x.scope === c.scope && x.ratio === c.ratio);
  const none = r.points.find((x) => x.strategy === 'none');
  const w = 28;
  const cellText = (p?: ComparePoint) => (p ? percentWithInterval(p.accuracy.mean, p.accuracy.ci95) : '-');
  const lines = [
    `${r.settings.probe} probe accuracy (%) [95% interval] after pruning ${r.model.path}`,
    `${'pruned units'.padEnd(18)}${PAPER_GRID.map((c) => cellName(c).padStart(w)).join('')}`,
    `${LABELS.none.padEnd(18)}${PAPER_GRID.map(() => cellText(none).padStart(w)).join('')}`,
    ...['high', 'random', 'low'].map(
      (s) => `${LABELS[s].padEnd(18)}${PAPER_GRID.map((c) => cellText(at(s, c)).padStart(w)).join('')}`,
    ),
    `paper (ResNet9, CIFAR10): none 70.44 | per layer 10%: high 53.04, random 58.09, low 62.58 | 20%: 48.30 / 51.34 / 54.84 | global 10%: 49.16 / 56.77 / 62.62`,
  ];
  if (r.points.every((p) => p.memorization.sslmem)) {
    lines.push('SSLMem gap at the embedding (candidates minus control) [95% interval]:');
    lines.push(
      `${LABELS.none.padEnd(18)}${PAPER_GRID.map(() => signedWithInterval(none!.memorization.sslmem!.gap, none!.memorization.sslmem!.ci95).padStart(w)).join('')}`,
    );
    for (const s of ['high', 'random', 'low']) {
      lines.push(
        `${LABELS[s].padEnd(18)}${PAPER_GRID.map((c) => {
          const p = at(s, c)?.memorization.sslmem;
          return (p ? signedWithInterval(p.gap, p.ci95) : '-').padStart(w);
        }).join('')}`,
      );
    }
  }
  lines.push('Claims (paired bootstrap against random on the same test images, p < 0.05):');
  for (const claim of CLAIMS) {
    for (const c of PAPER_GRID) {
      const t = r.tests.find(
        (x) => x.a === claim.strategy && x.metric === 'accuracy' && x.scope === c.scope && x.ratio === c.ratio,
      );
      if (!t) continue;
      const diff = `${t.a} - ${t.b} ${percentWithInterval(t.difference, t.ci95)} points, p ${pValue(t.pValue)}`;
      lines.push(`  ${claimOutcome(t.verdict, claim.expect).padEnd(16)}${claim.text}, ${cellName(c)}: ${diff}`);
    }
  }
  const gaps = r.tests.filter((t) => t.metric === 'sslmemGap');
  if (gaps.length) {
    lines.push('Memorization of the candidates against random (SSLMem gap, lower = less memorization left):');
    for (const t of gaps) lines.push(`  ${testLine(t)}`);
  }
  return lines.join('\n');
}
