import { classMemCsv } from '../../engine/metrics/csv.js';
import { computeClassMem, computeClassMemShard } from '../../engine/metrics/classmem-job.js';
import { list, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { ACTIVATION_OPTION, activationOption, fmt, mean, METRIC_OPTIONS, runMeasureVerb } from '../metric-verb.js';
import { ACTIVATION_POLICIES } from '../../../shared/api.js';
import type { Verb } from '../verb.js';

export const classmem: Verb = {
  name: 'classmem',
  summary: 'ClassMem per unit (needs labelled data)',
  usage: `classmem MODEL --data D(labelled) [--layers A,B] [--out F [--resume]] [--shard I/N --out PART] [--csv F] [--activation ${ACTIVATION_POLICIES.join('|')}]`,
  description:
    "ClassMem of every unit over labelled data: UnitMem computed on class means instead of samples, i.e. how much a unit's mean activation on one class stands out from the other classes (docs/METRICS.md). --data must carry labels (class folders, IDX or CIFAR with labels).",
  options: [
    ...DATA_OPTIONS,
    ...METRIC_OPTIONS,
    ACTIVATION_OPTION,
    { name: 'data', value: 'D', help: 'labelled samples (required)' },
  ],
  async run(args) {
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
            l.reason
              ? `  ${l.name.padEnd(w)} not measured: ${l.reason}`
              : `  ${l.name.padEnd(w)} ${String(l.units).padStart(5)} units  mean ${fmt(mean(l.classmem))}`,
          ),
        ].join('\n');
      },
    });
  },
};
