import type { CompareResult, PruneStrategy } from '../../../shared/api.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { compareCsv } from '../../../shared/compare-csv.js';
import {
  percentWithInterval,
  pointName,
  settingsLines,
  signedWithInterval,
  testLine,
} from '../../../shared/compare-format.js';
import { formatCount } from '../../../shared/format.js';
import { STRATEGY_NAMES } from '../../../shared/strategies.js';
import { compare as runCompare } from '../../engine/evaluate/sweep.js';
import { list, num, numList, str, strs, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, runMetricVerb } from '../metric-verb.js';
import { JSON_OPTION } from '../output.js';
import { PROBE_OPTIONS } from './evaluate.js';
import type { Verb } from '../verb.js';

const d = COMPARE_DEFAULTS;

export const compare: Verb = {
  name: 'compare',
  summary: 'Sweep strategies x ratios: accuracy versus measured memorization, with intervals, tests and an HTML report',
  usage:
    `compare MODEL --data D --train D --test D --strategies ${STRATEGY_NAMES.join(',')} --ratios ${d.ratios.join(',')} [--scopes layer,global] ` +
    `[--seeds ${d.seeds.join(',')}] [--probe ${d.probe}|knn] [--k 20] [--views ${d.views}] [--reference G --control D] [--finetuned RUN.json|MODEL.onnx ...] --out DIR`,
  description:
    'The sweep behind the Compare screen: for each strategy, scope and ratio (and each seed of random), prune the model, run a linear or kNN probe trained on --train and tested on --test, and record accuracy with a 95% interval, UnitMem re-measured on the pruned encoder, with --reference and --control the SSLMem gap of the candidates against the control set, parameters, FLOPs and latency; each strategy is tested against random (docs/compare.md). Each --finetuned encoder (a `memlens finetune --out` export of MODEL, or its .finetune.json) is one more point, strategy finetuned, measured the same way and tested against the unpruned model. UnitMem is computed once on --data. Writes DIR/compare.json (memlens.compare/2), DIR/compare.csv and an offline DIR/report.html; the app opens DIR as a saved sweep.',
  options: [
    ...DATA_OPTIONS,
    JSON_OPTION,
    { name: 'data', value: 'D', help: 'samples UnitMem is computed on (required)' },
    ...PROBE_OPTIONS,
    {
      name: 'strategies',
      value: 'S,S',
      help: `pruning strategies, some of ${STRATEGY_NAMES.join(', ')} (required; see prune --help)`,
    },
    { name: 'ratios', value: 'R,R', help: 'fractions of units pruned, each in (0, 1) (required)' },
    { name: 'scopes', value: 'layer,global', help: 'rank units per layer (default) or across layers' },
    { name: 'seeds', value: 'S,S', help: `seeds of the random strategy (default ${d.seeds.join(',')})` },
    { name: 'views', value: 'N', help: `views per sample for UnitMem and SSLMem (default ${d.views})` },
    {
      name: 'reference',
      value: 'G',
      help: 'a reference encoder: adds the SSLMem of candidates and control set per point (needs --control)',
    },
    {
      name: 'control',
      value: 'D',
      help: "points the model and the reference both trained on (default: the project's data.control)",
    },
    {
      name: 'finetuned',
      value: 'F',
      help: 'a fine-tuned encoder of MODEL (RUN.finetune.json or the ONNX it exported) as one more point; repeatable',
    },
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
    return runMetricVerb<CompareResult>(
      args,
      (ctl) =>
        runCompare(
          {
            model,
            data,
            train,
            test,
            strategies,
            ratios,
            out,
            ...dataOptions(args),
            scopes: list(args, 'scopes') as ('layer' | 'global')[] | undefined,
            seeds: numList(args, 'seeds'),
            probe: choice(args, 'probe', ['linear', 'knn'] as const),
            k: num(args, 'k'),
            views: num(args, 'views'),
            reference: str(args, 'reference'),
            control: str(args, 'control'),
            finetuned: strs(args, 'finetuned'),
          },
          ctl,
        ),
      compareCsv,
      (r) => {
        const width = Math.max(20, ...r.points.map((p) => pointName(p).length));
        return [
          `accuracy (%) [95% interval] and measured memorization after pruning ${r.model.path}`,
          ...r.points.map((p) => {
            const s = p.memorization.sslmem;
            return (
              `  ${pointName(p).padEnd(width)} acc ${percentWithInterval(p.accuracy.mean, p.accuracy.ci95).padEnd(22)} UnitMem ${p.memorization.unitmem.mean.toFixed(4)}  ` +
              (s ? `SSLMem gap ${signedWithInterval(s.gap, s.ci95)}  ` : '') +
              `params ${formatCount(p.params)}  ${p.latencyMs.toFixed(3)} ms/image`
            );
          }),
          ...(r.tests.length
            ? [
                'paired tests (bootstrap), against random; fine-tuned against none:',
                ...r.tests.map((t) => `  ${testLine(t)}`),
              ]
            : []),
          ...settingsLines(r),
          `wrote ${r.files!.json}, ${r.files!.csv}, ${r.files!.html}`,
        ].join('\n');
      },
    );
  },
};
