import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompareResult } from '../../../shared/api.js';
import { compareCsv } from '../../../shared/compare-csv.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { paperTable, runPaperExperiment } from '../../engine/evaluate/paper.js';
import { DEMO_PROJECT, findResourcesDir } from '../../engine/project/project.js';
import { num, numList, str } from '../args.js';
import { runMetricVerb } from '../metric-verb.js';
import { LIMIT_OPTION } from '../data-options.js';
import { JSON_OPTION } from '../output.js';
import type { Verb } from '../verb.js';

export const demo: Verb = {
  name: 'demo',
  summary:
    "The paper's pruning experiment on the demo project: accuracy with intervals, measured memorization, the paper's claims tested",
  usage: `demo [--project P] [--seeds ${COMPARE_DEFAULTS.seeds.join(',')}] [--views ${COMPARE_DEFAULTS.views}] [--limit N] [--out DIR] [--json]`,
  description:
    "The paper's pruning experiment on a project (the demo project by default): UnitMem of the target encoder on the candidates, then pruning by high, low and random UnitMem at several ratios, each followed by a linear probe; prints the paper's table with 95% intervals, measured memorization and, per claim of the paper, holds / reversed / not significant (docs/compare.md). --limit makes a quick run.",
  options: [
    JSON_OPTION,
    { name: 'project', value: 'P', help: 'a project file (default: resources/demo/project.memlens.json)' },
    { name: 'seeds', value: 'S,S', help: `seeds of the random strategy (default ${COMPARE_DEFAULTS.seeds.join(',')})` },
    { name: 'views', value: 'N', help: `views per sample for UnitMem and SSLMem (default ${COMPARE_DEFAULTS.views})` },
    LIMIT_OPTION,
    { name: 'out', value: 'DIR', help: 'also write compare.json, compare.csv and report.html to DIR' },
  ],
  async run(args) {
    const project =
      str(args, 'project') ?? join(findResourcesDir(dirname(fileURLToPath(import.meta.url))), DEMO_PROJECT);
    const out = str(args, 'out');
    // --out is the report folder here (DIR/compare.json), not a JSON file.
    args.options.delete('out');
    return runMetricVerb<CompareResult>(
      args,
      (ctl) =>
        runPaperExperiment(
          project,
          {
            seeds: numList(args, 'seeds'),
            views: num(args, 'views'),
            limit: num(args, 'limit'),
            ...(out ? { out } : {}),
          },
          ctl,
        ),
      compareCsv,
      (r) => paperTable(r) + (r.files ? `\nwrote ${r.files.json}, ${r.files.csv}, ${r.files.html}` : ''),
    );
  },
};
