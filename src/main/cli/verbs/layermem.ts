import { layerMemCsv } from '../../engine/metrics/csv.js';
import { computeLayerMem, computeLayerMemShard } from '../../engine/metrics/layermem-job.js';
import type { LayerMemRequest } from '../../../shared/api.js';
import { checkKnown, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, fmt, METRIC_FLAGS, METRIC_USAGE, runMeasureVerb } from '../metric-verb.js';
import type { Verb } from '../verb.js';

export const layermem: Verb = {
  name: 'layermem',
  summary: 'LayerMem per layer and SSLMem per point (encoder f vs reference g)',
  usage:
    `layermem --model F --reference G --data D [--views 5] [--augment simclr|none] [--pairing views|anchor] [--norm paper|range] ${METRIC_USAGE}`,
  flags: METRIC_FLAGS,
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, 'csv', 'shard', 'resume', 'model', 'reference', 'data', 'views', 'augment', 'pairing', 'norm']);
    const model = str(args, 'model');
    const reference = str(args, 'reference');
    const data = str(args, 'data');
    if (!model || !reference || !data || args.positionals.length) throw new UsageError('needs --model F --reference G --data D');
    const req: LayerMemRequest = {
      model,
      reference,
      data,
      ...dataOptions(args),
      views: num(args, 'views'),
      augment: choice(args, 'augment', ['simclr', 'none'] as const),
      pairing: choice(args, 'pairing', ['views', 'anchor'] as const),
      norm: choice(args, 'norm', ['paper', 'range'] as const),
    };
    return runMeasureVerb(args, {
      run: (ctl, scope) => computeLayerMem(req, ctl, scope),
      shard: (ctl, scope) => computeLayerMemShard(req, scope, ctl),
      csv: layerMemCsv,
      summary: (r) => {
        const w = Math.max(5, ...r.layers.map((l) => l.name.length));
        return [
          `LayerMem of ${r.model.path} vs ${r.reference.path} over ${r.samples.length} samples x ${r.settings.views} views (pairing ${r.settings.pairing}, norm ${r.settings.norm}, seed ${r.settings.seed})`,
          `  ${'layer'.padEnd(w)} ${'kind'.padEnd(16)} layermem    delta`,
          ...r.layers.map((l) => `  ${l.name.padEnd(w)} ${l.kind.padEnd(16)} ${fmt(l.layermem).padStart(8)} ${fmt(l.delta).padStart(8)}`),
        ].join('\n');
      },
    });
  },
};
