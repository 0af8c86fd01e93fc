import { classMemCsv } from '../../engine/metrics/csv.js';
import { computeClassMem, computeClassMemShard } from '../../engine/metrics/classmem-job.js';
import { checkKnown, list, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { ACTIVATION_USAGE, activationOption, fmt, mean, METRIC_FLAGS, METRIC_OPTIONS, METRIC_USAGE, runMeasureVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';

export const classmem: Verb = {
  name: 'classmem',
  summary: 'ClassMem per unit (needs labelled data)',
  usage: `classmem MODEL --data D(labelled) [--layers A,B] ${METRIC_USAGE} ${ACTIVATION_USAGE}`,
  flags: METRIC_FLAGS,
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, ...METRIC_OPTIONS, 'data', 'activation']);
    const [model, extra] = args.positionals;
    const data = str(args, 'data');
    if (!model || extra !== undefined || !data) throw new UsageError('needs one MODEL and --data D');
    const req = { model, data, ...dataOptions(args), activation: activationOption(args), layers: list(args, 'layers') };
    return runMeasureVerb(args, {
      run: (ctl, scope) => computeClassMem(req, ctl, scope),
      shard: (ctl, scope) => computeClassMemShard(req, scope, ctl),
      csv: classMemCsv,
      summary: (r) => {
        const w = Math.max(...r.layers.map((l) => l.name.length));
        return [
          `ClassMem of ${r.model.path} over ${r.classes.length} classes (activation: ${r.settings.activation})`,
          ...r.layers.map((l) =>
            l.reason ? `  ${l.name.padEnd(w)} not measured: ${l.reason}` : `  ${l.name.padEnd(w)} ${String(l.units).padStart(5)} units  mean ${fmt(mean(l.classmem))}`,
          ),
        ].join('\n');
      },
    });
  },
};
