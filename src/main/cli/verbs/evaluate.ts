import { formatPercent } from '../../../shared/format.js';
import { evaluate as runEvaluate } from '../../engine/evaluate/evaluate.js';
import { checkKnown, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, runMetricVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';


export const evaluate: Verb = {
  name: 'evaluate',
  summary: 'Linear-probe or kNN accuracy of an encoder',
  usage:
    'evaluate MODEL --train D --test D [--probe linear|knn] [--k 20] [--temperature 0.07] [--weight-decay 1e-4] [--export-features DIR] [--json] [--out F] [--csv F]',
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, 'csv', 'train', 'test', 'probe', 'k', 'temperature', 'weight-decay', 'export-features']);
    const [model, extra] = args.positionals;
    const train = str(args, 'train');
    const test = str(args, 'test');
    if (!model || extra !== undefined || !train || !test) throw new UsageError('needs one MODEL, --train D and --test D');
    return runMetricVerb(
      args,
      (ctl) =>
        runEvaluate(
          {
            model,
            train,
            test,
            ...dataOptions(args),
            probe: choice(args, 'probe', ['linear', 'knn'] as const),
            k: num(args, 'k'),
            temperature: num(args, 'temperature'),
            weightDecay: num(args, 'weight-decay'),
            exportFeatures: str(args, 'export-features'),
          },
          ctl,
        ),
      (r) => {
        const classes = r.settings.classes as string[];
        return ['class,accuracy', ...r.perClass.map((a, c) => `${classes[c]},${Number.isNaN(a) ? '' : a}`), ''].join('\n');
      },
      (r) => {
        const classes = r.settings.classes as string[];
        return [
          `${r.probe} probe accuracy ${formatPercent(r.accuracy, 2)} (${r.trainCount} train, ${r.testCount} test) for ${r.model.path}`,
          ...r.perClass.map((a, c) => `  ${classes[c].padEnd(16)} ${Number.isNaN(a) ? '-' : formatPercent(a, 2)}`),
        ].join('\n');
      },
    );
  },
};
