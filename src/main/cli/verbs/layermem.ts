import { layerMemCsv } from '../../engine/metrics/csv.js';
import { computeLayerMem, computeLayerMemShard } from '../../engine/metrics/layermem-job.js';
import type { LayerMemRequest } from '../../../shared/api.js';
import { num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice, fmt, METRIC_OPTIONS, runMeasureVerb } from '../metric-verb.js';
import { DEFAULT_LAYERMEM_VIEWS } from '../../../shared/metric-defaults.js';
import type { Verb } from '../verb.js';

export const layermem: Verb = {
  name: 'layermem',
  summary: 'LayerMem per layer and SSLMem per point (encoder f vs reference g)',
  usage: `layermem --model F --reference G --data D [--views 5] [--augment simclr|none] [--pairing views|anchor] [--norm paper|range] [--out F [--resume]] [--shard I/N --out PART] [--csv F]`,
  description:
    'LayerMem of every layer: SSLMem per point (how much closer the augmented views of a sample are under encoder F than under a reference G that never saw it), averaged over the points, after each layer; DeltaLayerMem is the increase over the previous layer (docs/METRICS.md). F and G must share the architecture.',
  options: [
    ...DATA_OPTIONS,
    ...METRIC_OPTIONS.filter((o) => o.name !== 'layers'),
    { name: 'model', value: 'F', help: 'the encoder measured (trained on --data) (required)' },
    { name: 'reference', value: 'G', help: 'the same architecture trained without --data (required)' },
    { name: 'data', value: 'D', help: 'the points F saw and G did not (required)' },
    { name: 'views', value: 'N', help: `augmented views per point (default ${DEFAULT_LAYERMEM_VIEWS})` },
    {
      name: 'augment',
      value: 'simclr|none',
      help: 'SimCLR views (default) or the images as given (needs view folders)',
    },
    {
      name: 'pairing',
      value: 'views|anchor',
      help: 'mean distance over all pairs of views (default) or from the un-augmented image to each view',
    },
    {
      name: 'norm',
      value: 'paper|range',
      help: 'SSLMem per point divided by SSL_f + SSL_g (default) or by the range of SSL_g - SSL_f over the points',
    },
  ],
  async run(args) {
    const model = str(args, 'model');
    const reference = str(args, 'reference');
    const data = str(args, 'data');
    if (!model || !reference || !data || args.positionals.length)
      throw new UsageError('needs --model F --reference G --data D');
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
          ...r.layers.map(
            (l) =>
              `  ${l.name.padEnd(w)} ${l.kind.padEnd(16)} ${fmt(l.layermem).padStart(8)} ${fmt(l.delta).padStart(8)}`,
          ),
        ].join('\n');
      },
    });
  },
};
