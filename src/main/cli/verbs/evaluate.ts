import { formatPercent } from '../../../shared/format.js';
import { evaluate as runEvaluate } from '../../engine/evaluate/evaluate.js';
import { DEFAULT_K, DEFAULT_TEMPERATURE } from '../../engine/evaluate/knn.js';
import { DEFAULT_WEIGHT_DECAY } from '../../engine/evaluate/linear-probe.js';
import { num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, runMetricVerb } from '../metric-verb.js';
import { JSON_OPTION, OUT_OPTION } from '../output.js';
import type { Option, Verb } from '../verb.js';

/** The probe's data and kind, shared with compare. */
export const PROBE_OPTIONS: readonly Option[] = [
  { name: 'train', value: 'D', help: 'labelled data the probe is trained on (required)' },
  {
    name: 'test',
    value: 'D',
    help: 'labelled data the probe is tested on; its classes must all be in --train (required)',
  },
  { name: 'probe', value: 'linear|knn', help: 'logistic regression (default) or kNN' },
  { name: 'k', value: 'K', help: `neighbours of the kNN probe (default ${DEFAULT_K})` },
];

export const evaluate: Verb = {
  name: 'evaluate',
  summary: 'Linear-probe or kNN accuracy of an encoder',
  usage:
    'evaluate MODEL --train D --test D [--probe linear|knn] [--k 20] [--temperature 0.07] [--weight-decay 1e-4] [--export-features DIR] [--json] [--out F] [--csv F]',
  description:
    'Downstream accuracy of an encoder: embeds --train and --test (frozen encoder, no views; embeddings are cached beside the model in .memlens-cache) and trains a probe on the train embeddings: multinomial logistic regression (L-BFGS, standardized features) or a weighted kNN. Prints overall and per-class accuracy.',
  options: [
    ...DATA_OPTIONS,
    JSON_OPTION,
    OUT_OPTION,
    { name: 'csv', value: 'F', help: 'also write per-class accuracy as CSV to F' },
    ...PROBE_OPTIONS,
    { name: 'temperature', value: 'T', help: `kNN vote weight exp(similarity / T) (default ${DEFAULT_TEMPERATURE})` },
    { name: 'weight-decay', value: 'L', help: `L2 penalty of the linear probe (default ${DEFAULT_WEIGHT_DECAY})` },
    { name: 'export-features', value: 'DIR', help: 'also write the embeddings and labels as .npy files to DIR' },
  ],
  async run(args) {
    const [model, extra] = args.positionals;
    const train = str(args, 'train');
    const test = str(args, 'test');
    if (!model || extra !== undefined || !train || !test)
      throw new UsageError('needs one MODEL, --train D and --test D');
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
        return ['class,accuracy', ...r.perClass.map((a, c) => `${classes[c]},${Number.isNaN(a) ? '' : a}`), ''].join(
          '\n',
        );
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
