import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompareResult } from '../../../shared/api.js';
import { compareCsv } from '../../../shared/compare-csv.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { paperTable, runPaperExperiment } from '../../engine/evaluate/paper.js';
import { DEMO_PROJECT, findResourcesDir } from '../../engine/project/project.js';
import { checkKnown, num, numList, str } from '../args.js';
import { runMetricVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';

export const demo: Verb = {
  name: 'demo',
  summary: "The paper's pruning experiment on the demo project: accuracy with intervals, measured memorization, the paper's claims tested",
  usage: `demo [--project P] [--seeds ${COMPARE_DEFAULTS.seeds.join(',')}] [--views ${COMPARE_DEFAULTS.views}] [--limit N] [--out DIR] [--json]`,
  async run(args) {
    checkKnown(args, ['json', 'out', 'project', 'seeds', 'views', 'limit']);
    const project = str(args, 'project') ?? join(findResourcesDir(dirname(fileURLToPath(import.meta.url))), DEMO_PROJECT);
    const out = str(args, 'out');
    // --out is the report folder here (DIR/compare.json), not a JSON file.
    args.options.delete('out');
    return runMetricVerb<CompareResult>(
      args,
      (ctl) => runPaperExperiment(project, { seeds: numList(args, 'seeds'), views: num(args, 'views'), limit: num(args, 'limit'), ...(out ? { out } : {}) }, ctl),
      compareCsv,
      (r) => paperTable(r) + (r.files ? `\nwrote ${r.files.json}, ${r.files.csv}, ${r.files.html}` : ''),
    );
  },
};
