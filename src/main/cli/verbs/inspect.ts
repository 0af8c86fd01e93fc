import type { ModelInfo } from '../../../shared/api.js';
import { formatCount } from '../../../shared/format.js';
import { inspectModel } from '../../engine/units/index.js';
import { UsageError } from '../args.js';
import { emitResult, JSON_OPTION, OUT_OPTION } from '../output.js';
import type { Verb } from '../verb.js';

const fmtShape = (s: (number | string)[]) => `[${s.join(', ')}]`;

/** Readable summary: the model, then one row per layer in forward order. */
function table(info: ModelInfo): string {
  const head = [
    `model    ${info.model.path}`,
    `producer ${info.producer || 'unknown'}, opset ${info.opset}`,
    `input    ${info.input ? `${info.input.name} ${fmtShape(info.input.shape)} ${info.input.type}` : 'none (constants only: this model cannot run images)'}`,
    `output   ${info.output.name} ${fmtShape(info.output.shape)} ${info.output.type}`,
    `params   ${formatCount(info.params)}   FLOPs/sample ${formatCount(info.flops)}`,
    '',
  ];
  const rows = [['#', 'layer', 'kind', 'units', 'params', 'block', 'activation tensor']];
  info.layers.forEach((l, i) =>
    rows.push([
      String(i),
      l.name,
      l.kind + (l.prunable ? '' : '*'),
      String(l.units),
      l.prunable ? formatCount(l.params) : '',
      l.block === undefined ? '' : String(l.block),
      l.tensor,
    ]),
  );
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r
      .map((v, c) => (c === 3 || c === 4 ? v.padStart(widths[c]) : v.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
  if (info.layers.length === 0)
    return [...head, 'no encoder layers found (no Conv, Gemm or MatMul with a constant weight)'].join('\n');
  return [...head, ...lines, '', '* measured for LayerMem only (not prunable)'].join('\n');
}

export const inspect: Verb = {
  name: 'inspect',
  summary: 'Layers and units of an ONNX encoder',
  usage: 'inspect MODEL [--json] [--out F]',
  description:
    'Lists what MemLens measures in an encoder: its input and output, parameters and FLOPs per sample, then every layer in forward order with its kind, unit count and activation tensor. Layers marked * are measured for LayerMem only and cannot be pruned.',
  options: [JSON_OPTION, OUT_OPTION],
  async run(args) {
    const [model, ...extra] = args.positionals;
    if (!model || extra.length) throw new UsageError('expects one MODEL');
    const info = await inspectModel(model);
    await emitResult(args, info, () => table(info));
    return 0;
  },
};
