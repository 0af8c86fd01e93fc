import type { PruneResult, PruneStrategy } from '../../../shared/api.js';
import {
  ATTENTION_UNITS,
  COUPLINGS,
  PRUNE_DEFAULTS,
  PRUNE_MODES,
  PRUNE_SCOPES,
} from '../../../shared/prune-options.js';
import { STRATEGIES, STRATEGY_NAMES } from '../../../shared/strategies.js';
import { pruneModel, resultPath } from '../../engine/prune/export.js';
import { formatCountChange } from '../../../shared/format.js';
import { flag, list, num, str, UsageError, type ParsedArgs } from '../args.js';
import { JSON_OPTION } from '../output.js';
import type { Verb } from '../verb.js';

function oneOf<T extends string>(args: ParsedArgs, name: string, values: readonly T[], fallback?: T): T {
  const v = str(args, name) ?? fallback;
  if (v === undefined) throw new UsageError(`needs --${name} ${values.join('|')}`);
  if (!values.includes(v as T)) throw new UsageError(`--${name} expects ${values.join('|')}, got '${v}'`);
  return v as T;
}

/** Left-aligned columns, numbers right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((v, c) => (/^\d+$/.test(v) ? v.padStart(widths[c]) : v.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

/** Per layer: selected, cut and masked units; then why units were masked; then the real change in size. */
function summary(r: PruneResult): string {
  const s = r.settings as {
    strategy: string;
    scope: string;
    ratio: number;
    mode: string;
    seed: number;
    coupling: string;
    attention: string;
    align: number;
  };
  const perLayer = r.layers
    .filter((l) => l.selected || l.cut || l.masked)
    .map((l) => [l.name, String(l.units), String(l.selected), String(l.cut), String(l.masked)]);
  const masked = r.groups
    .filter((g) => g.mode === 'mask')
    .map((g) => [String(g.units), g.layers.join(', '), g.reason ?? '']);
  return [
    `prune ${r.model.path}: ${s.strategy}, scope ${s.scope}, ratio ${s.ratio}, mode ${s.mode}, coupling ${s.coupling}, attention ${s.attention}, align ${s.align}, seed ${s.seed}`,
    ...r.notes.map((n) => `NOTE: ${n}`),
    '',
    ...table([['layer', 'units', 'selected', 'cut', 'masked'], ...perLayer]),
    ...(masked.length ? ['', ...table([['masked', 'layers', 'why'], ...masked])] : []),
    '',
    `params  ${formatCountChange(r.params.before, r.params.after)}`,
    `FLOPs   ${formatCountChange(r.flops.before, r.flops.after)}`,
    `bytes   ${formatCountChange(r.bytes.before, r.bytes.after)}`,
    ...(r.out ? [`wrote ${r.out} and ${resultPath(r.out)}`] : ['preview only (no --out): nothing written']),
  ].join('\n');
}

export const prune: Verb = {
  name: 'prune',
  summary: 'Prune units chosen by UnitMem and export the model',
  usage:
    `prune MODEL --scores F --strategy ${STRATEGY_NAMES.join('|')} --ratio R --scope ${PRUNE_SCOPES.join('|')} [--mode ${PRUNE_MODES.join('|')}] ` +
    `[--seed S] [--align N (default ${PRUNE_DEFAULTS.align})] [--coupling ${COUPLINGS.join('|')}] [--attention ${ATTENTION_UNITS.join('|')}] [--embedding-width] [--keep-output] [--include A,B] [--exclude C] --out P.onnx [--json]`,
  description: `Removes the units a strategy picks and exports the model. Strategies: ${STRATEGIES.map((s) => `${s.name} (${s.label})`).join(', ')}; those ranking by UnitMem need --scores, a memlens.unitmem/1 document of this model. Structural mode cuts the channels out (a smaller, faster model); mask mode zeroes them and keeps the shapes. Coupled layers (residual partners) lose the same channels. Channels that reach the model output are cut too, so the embedding shrinks and the result says so, unless --keep-output masks them. Without --out it only previews.`,
  options: [
    JSON_OPTION,
    {
      name: 'scores',
      value: 'F',
      help: `UnitMem document of this model (needed by ${STRATEGIES.filter((s) => s.needsScores)
        .map((s) => s.name)
        .join(' and ')})`,
    },
    { name: 'strategy', value: STRATEGY_NAMES.join('|'), help: 'which units to prune (required)' },
    { name: 'ratio', value: 'R', help: 'fraction of units to prune, in [0, 1) (required)' },
    {
      name: 'scope',
      value: PRUNE_SCOPES.join('|'),
      help: 'the same fraction of every layer, or ranked across layers (required)',
    },
    {
      name: 'mode',
      value: PRUNE_MODES.join('|'),
      help: `cut the channels out or zero them (default ${PRUNE_DEFAULTS.mode})`,
    },
    { name: 'seed', value: 'S', help: `seed of the random strategy (default ${PRUNE_DEFAULTS.seed})` },
    {
      name: 'align',
      value: 'N',
      help: `keep each cut group at a multiple of N channels, masking the rest (default ${PRUNE_DEFAULTS.align}: off)`,
    },
    {
      name: 'coupling',
      value: COUPLINGS.join('|'),
      help: `residual partners: rank them together, or cut what all of them selected (default ${PRUNE_DEFAULTS.coupling})`,
    },
    {
      name: 'attention',
      value: ATTENTION_UNITS.join('|'),
      help: `attention layers lose the same dimensions of every head, or whole heads (default ${PRUNE_DEFAULTS.attention})`,
    },
    {
      name: 'embedding-width',
      help: "a Transformer's embedding width is cut too (the stream with its LayerNorms, patch and position embeddings, class token)",
    },
    {
      name: 'keep-output',
      help: 'mask, instead of cutting, the channels that reach the model output (the embedding keeps its size)',
    },
    { name: 'include', value: 'A,B', help: 'rank and prune only these layers' },
    { name: 'exclude', value: 'C', help: 'never prune these layers' },
    { name: 'out', value: 'P.onnx', help: 'where to write the pruned model; its result document goes beside it' },
  ],
  async run(args) {
    const [model, ...extra] = args.positionals;
    if (!model || extra.length) throw new UsageError('expects one MODEL');
    const ratio = num(args, 'ratio');
    if (ratio === undefined) throw new UsageError('needs --ratio R');
    const result = await pruneModel({
      model,
      scores: str(args, 'scores'),
      strategy: oneOf<PruneStrategy>(args, 'strategy', STRATEGY_NAMES),
      ratio,
      scope: oneOf(args, 'scope', PRUNE_SCOPES),
      mode: oneOf(args, 'mode', PRUNE_MODES, PRUNE_DEFAULTS.mode),
      seed: num(args, 'seed'),
      align: num(args, 'align'),
      coupling: oneOf(args, 'coupling', COUPLINGS, PRUNE_DEFAULTS.coupling),
      attention: oneOf(args, 'attention', ATTENTION_UNITS, PRUNE_DEFAULTS.attention),
      embeddingWidth: flag(args, 'embedding-width'),
      keepOutput: flag(args, 'keep-output'),
      include: list(args, 'include'),
      exclude: list(args, 'exclude'),
      out: str(args, 'out'),
    });
    // --out names the model here (the result document goes next to it), so emitResult's --out is not used.
    process.stdout.write((flag(args, 'json') ? JSON.stringify(result) : summary(result)) + '\n');
    return 0;
  },
};
