import type { CompareResult, PruneStrategy } from '../../../shared/api.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { compareCsv } from '../../../shared/compare-csv.js';
import { percentWithInterval, pointName, settingsLines, signedWithInterval, testLine } from '../../../shared/compare-format.js';
import { formatCount } from '../../../shared/format.js';
import { STRATEGY_NAMES } from '../../../shared/strategies.js';
import { compare as runCompare } from '../../engine/evaluate/sweep.js';
import { checkKnown, list, num, numList, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, runMetricVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';

const d = COMPARE_DEFAULTS;

export const compare: Verb = {
  name: 'compare',
  summary: 'Sweep strategies x ratios: accuracy versus measured memorization, with intervals, tests and an HTML report',
  usage:
    `compare MODEL --data D --train D --test D --strategies ${STRATEGY_NAMES.join(',')} --ratios ${d.ratios.join(',')} [--scopes layer,global] ` +
    `[--seeds ${d.seeds.join(',')}] [--probe ${d.probe}|knn] [--k 20] [--views ${d.views}] [--reference G --control D] --out DIR`,
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, 'data', 'train', 'test', 'strategies', 'ratios', 'scopes', 'seeds', 'probe', 'k', 'views', 'reference', 'control']);
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
            model, data, train, test, strategies, ratios, out,
            ...dataOptions(args),
            scopes: list(args, 'scopes') as ('layer' | 'global')[] | undefined,
            seeds: numList(args, 'seeds'),
            probe: choice(args, 'probe', ['linear', 'knn'] as const),
            k: num(args, 'k'),
            views: num(args, 'views'),
            reference: str(args, 'reference'),
            control: str(args, 'control'),
          },
          ctl,
        ),
      compareCsv,
      (r) =>
        [
          `accuracy (%) [95% interval] and measured memorization after pruning ${r.model.path}`,
          ...r.points.map((p) => {
            const s = p.memorization.sslmem;
            return (
              `  ${pointName(p).padEnd(20)} acc ${percentWithInterval(p.accuracy.mean, p.accuracy.ci95).padEnd(22)} UnitMem ${p.memorization.unitmem.mean.toFixed(4)}  ` +
              (s ? `SSLMem gap ${signedWithInterval(s.gap, s.ci95)}  ` : '') +
              `params ${formatCount(p.params)}  ${p.latencyMs.toFixed(3)} ms/image`
            );
          }),
          ...(r.tests.length ? ['against random (paired bootstrap):', ...r.tests.map((t) => `  ${testLine(t)}`)] : []),
          ...settingsLines(r),
          `wrote ${r.files!.json}, ${r.files!.csv}, ${r.files!.html}`,
        ].join('\n'),
    );
  },
};
