import type { PruneStrategy } from '../../../shared/api.js';
import { STRATEGY_NAMES } from '../../../shared/strategies.js';
import { formatCount, formatFixed, formatPercent } from '../../../shared/format.js';
import { compare as runCompare, DEFAULT_SEEDS } from '../../engine/evaluate/sweep.js';
import { summarize } from '../../engine/evaluate/summary.js';
import { list, num, numList, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, runMetricVerb } from '../metric-verb.js';
import { JSON_OPTION } from '../output.js';
import type { Verb } from '../verb.js';
import { PROBE_OPTIONS } from './evaluate.js';
import { compareCsv } from '../../engine/evaluate/csv.js';

const nameWidth = Math.max(...STRATEGY_NAMES.map((n) => n.length));

export const compare: Verb = {
  name: 'compare',
  summary: 'Sweep strategies x ratios: accuracy versus memorization, with an HTML report',
  usage:
    `compare MODEL --data D --train D --test D --strategies ${STRATEGY_NAMES.join(',')} --ratios 0.1,0.2 [--scopes layer,global] [--seeds 0,1,2] [--probe linear|knn] [--k 20] [--views 10] [--reference G] --out DIR`,
  description:
    'The sweep behind the Compare screen: for each strategy, scope and ratio (and each seed of random), prune the model, run a linear or kNN probe trained on --train and tested on --test, and record accuracy, mean UnitMem of the kept units, LayerMem (with --reference), parameters, FLOPs and latency. UnitMem is computed once on --data. Writes DIR/compare.json, DIR/compare.csv and an offline DIR/report.html; the app opens DIR as a saved sweep.',
  options: [
    ...DATA_OPTIONS,
    JSON_OPTION,
    { name: 'data', value: 'D', help: 'samples UnitMem is computed on (required)' },
    ...PROBE_OPTIONS,
    { name: 'strategies', value: 'S,S', help: `pruning strategies, some of ${STRATEGY_NAMES.join(', ')} (required; see prune --help)` },
    { name: 'ratios', value: 'R,R', help: 'fractions of units pruned, each in (0, 1) (required)' },
    { name: 'scopes', value: 'layer,global', help: 'rank units per layer (default) or across layers' },
    { name: 'seeds', value: 'S,S', help: `seeds of the random strategy (default ${DEFAULT_SEEDS.join(',')})` },
    { name: 'views', value: 'N', help: 'views per sample for UnitMem and LayerMem' },
    { name: 'reference', value: 'G', help: 'a reference encoder: adds LayerMem of the embedding per point' },
    { name: 'out', value: 'DIR', help: 'folder for compare.json, compare.csv, report.html (required)' },
  ],
  async run(args) {
    const [model, extra] = args.positionals;
    const [data, train, test, out] = ['data', 'train', 'test', 'out'].map((n) => str(args, n));
    const strategies = list(args, 'strategies') as PruneStrategy[] | undefined;
    const ratios = numList(args, 'ratios');
    if (!model || extra !== undefined || !data || !train || !test || !strategies || !ratios || !out) {
      throw new UsageError('needs one MODEL, --data, --train, --test, --strategies, --ratios and --out DIR');
    }
    // --out is the report folder here, not a JSON file: the document goes to DIR/compare.json.
    args.options.delete('out');
    return runMetricVerb(
      args,
      (ctl) =>
        runCompare(
          {
            model, data, train, test, strategies, ratios, out,
            ...dataOptions(args),
            scopes: list(args, 'scopes') as ('layer' | 'global')[] | undefined,
            seeds: numList(args, 'seeds'),
            probe: choice(args, 'probe', ['linear', 'knn'] as const),
            k: num(args, 'k'),
            views: num(args, 'views'),
            reference: str(args, 'reference'),
          },
          ctl,
        ),
      compareCsv,
      (r) =>
        [
          `${r.settings.probe} probe accuracy after pruning ${r.model.path}`,
          ...summarize(r.points).map(
            (s) =>
              `  ${s.strategy.padEnd(nameWidth)} ${(s.strategy === 'none' ? '' : s.scope).padEnd(7)} ${formatPercent(s.ratio).padStart(7)}  ` +
              `acc ${formatPercent(s.accuracy, 2)}${s.runs > 1 ? ` ± ${formatFixed(100 * s.accuracyStd, 2)}` : ''}  mean UnitMem ${formatFixed(s.meanUnitMem, 4)}  ` +
              (s.layerMem !== undefined ? `LayerMem ${formatFixed(s.layerMem, 4)}  ` : '') +
              `params ${formatCount(s.params)}  ${s.latencyMs.toFixed(3)} ms/image`,
          ),
          `wrote ${r.files!.json}, ${r.files!.csv}, ${r.files!.html}`,
        ].join('\n'),
    );
  },
};
