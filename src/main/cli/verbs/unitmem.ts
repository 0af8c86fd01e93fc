import { computeUnitMem, computeUnitMemShard, DEFAULT_UNITMEM_TOP } from '../../engine/metrics/unitmem-job.js';
import type { UnitMemRequest } from '../../../shared/api.js';
import { unitMemCsv } from '../../engine/metrics/csv.js';
import { list, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import {
  ACTIVATION_OPTION,
  activationOption,
  choice,
  fmt,
  mean,
  METRIC_OPTIONS,
  runMeasureVerb,
} from '../metric-verb.js';
import { ACTIVATION_POLICIES } from '../../../shared/api.js';
import { DEFAULT_UNITMEM_VIEWS } from '../../../shared/metric-defaults.js';
import type { Verb } from '../verb.js';

export const unitmem: Verb = {
  name: 'unitmem',
  summary: 'UnitMem per unit (needs only the encoder)',
  usage: `unitmem MODEL --data D [--views 10] [--augment simclr|none] [--rest mean|median] [--top K] [--layers A,B] [--seed S] [--out F [--resume]] [--shard I/N --out PART] [--csv F] [--activation ${ACTIVATION_POLICIES.join('|')}]`,
  description:
    "UnitMem of every unit (conv channel, MLP neuron, attention head) over the samples in --data: per unit, how much its mean activation on one sample's augmented views stands out from its activation on the other samples (docs/METRICS.md). Needs only the encoder; the views are seeded, so a run is reproducible. Prints one line per layer; --out/--json give the memlens.unitmem/1 document that prune and the app read.",
  options: [
    ...DATA_OPTIONS,
    ...METRIC_OPTIONS,
    ACTIVATION_OPTION,
    { name: 'data', value: 'D', help: 'the samples to measure, e.g. the candidates (required)' },
    {
      name: 'views',
      value: 'N',
      help: `augmented views per sample (default ${DEFAULT_UNITMEM_VIEWS}; a view folder gives its own)`,
    },
    {
      name: 'augment',
      value: 'simclr|none',
      help: "SimCLR views (default, or the project file's augment) or the images as given",
    },
    { name: 'rest', value: 'mean|median', help: "how the other samples' activations are summarized (default mean)" },
    {
      name: 'top',
      value: 'K',
      help: `highest-activation samples kept per unit in the document (default ${DEFAULT_UNITMEM_TOP})`,
    },
  ],
  async run(args) {
    const [model, extra] = args.positionals;
    const data = str(args, 'data');
    if (!model || extra !== undefined || !data) throw new UsageError('needs one MODEL and --data D');
    const req: UnitMemRequest = {
      model,
      data,
      ...dataOptions(args),
      views: num(args, 'views'),
      augment: choice(args, 'augment', ['simclr', 'none'] as const),
      rest: choice(args, 'rest', ['mean', 'median'] as const),
      activation: activationOption(args),
      top: num(args, 'top'),
      layers: list(args, 'layers'),
    };
    return runMeasureVerb(args, {
      run: (ctl, scope) => computeUnitMem(req, ctl, scope),
      shard: (ctl, scope) => computeUnitMemShard(req, scope, ctl),
      csv: unitMemCsv,
      summary: (r) => {
        const w = Math.max(...r.layers.map((l) => l.name.length));
        return [
          `UnitMem of ${r.model.path} over ${r.samples.length} samples x ${r.settings.views} views (rest: ${r.settings.rest}, activation: ${r.settings.activation}, batch ${r.settings.batch} images)`,
          ...r.layers.map((l) =>
            l.reason
              ? `  ${l.name.padEnd(w)} not measured: ${l.reason}`
              : `  ${l.name.padEnd(w)} ${String(l.units).padStart(5)} units  mean ${fmt(mean(l.unitmem))}  max ${fmt(Math.max(...l.unitmem))}${l.signed ? '  (signed)' : ''}`,
          ),
          ...(r.skipped?.length ? [`skipped ${r.skipped.length} undecodable files`] : []),
        ].join('\n');
      },
    });
  },
};
