import { computeUnitMem, computeUnitMemShard } from '../../engine/metrics/unitmem-job.js';
import type { UnitMemRequest } from '../../../shared/api.js';
import { unitMemCsv } from '../../engine/metrics/csv.js';
import { checkKnown, list, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { ACTIVATION_USAGE, activationOption, choice, fmt, mean, METRIC_FLAGS, METRIC_OPTIONS, METRIC_USAGE, runMeasureVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';

export const unitmem: Verb = {
  name: 'unitmem',
  summary: 'UnitMem per unit (needs only the encoder)',
  usage:
    `unitmem MODEL --data D [--views 10] [--augment simclr|none] [--rest mean|median] [--top K] [--layers A,B] [--seed S] ${METRIC_USAGE} ${ACTIVATION_USAGE}`,
  flags: METRIC_FLAGS,
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, ...METRIC_OPTIONS, 'data', 'views', 'augment', 'rest', 'activation', 'top']);
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
          ...r.layers.map(
            (l) =>
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
