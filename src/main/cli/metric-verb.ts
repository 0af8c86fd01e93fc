// What the metric verbs (unitmem, classmem, layermem) share: choice options, running the engine
// call as a cancellable job with progress, and writing the document (--out/--json) and CSV (--csv);
// --shard I/N writes one shard's part instead, --resume continues a killed run (docs/SCALE.md).
import { ACTIVATION_POLICIES, type ActivationPolicy, type JobControl } from '../../shared/api.js';
import { formatFixed } from '../../shared/format.js';
import { writeFileAtomic } from '../engine/files.js';
import { parseShard, type PartDoc, type RunScope, type Shard } from '../engine/metrics/part.js';
import { flag, str, UsageError, type ParsedArgs } from './args.js';
import { emitResult, JSON_OPTION, normalizationLine, OUT_OPTION } from './output.js';
import { cliJob } from './progress.js';
import type { Option } from './verb.js';

export const CSV_OPTION: Option = { name: 'csv', value: 'F', help: 'also write the figures as CSV to F' };

/** Options every metric verb takes besides the data options. */
export const METRIC_OPTIONS: readonly Option[] = [
  JSON_OPTION,
  OUT_OPTION,
  CSV_OPTION,
  {
    name: 'layers',
    value: 'A,B',
    help: 'measure only these layers (names as `memlens inspect` lists them; default: every prunable layer)',
  },
  {
    name: 'shard',
    value: 'I/N',
    help: 'compute shard I of N (0-based, as a Slurm array task id) of the candidates and write a part to --out PART; combine the parts with `memlens merge` (docs/SCALE.md)',
  },
  { name: 'resume', help: 'continue a killed run from the checkpoint F.partial that --out F keeps (docs/SCALE.md)' },
];

/** The --activation option of the verbs that read per-unit means (unitmem, classmem), with its help. */
export const ACTIVATION_OPTION: Option = {
  name: 'activation',
  value: ACTIVATION_POLICIES.join('|'),
  help:
    'rate (default) reads each unit as a non-negative firing rate: at the first ReLU-like output its channels reach ' +
    '(through BN, the residual Add, Concat), else the positive part of the layer output; raw reads the layer output as is ' +
    '(signed values put the contrast outside [0, 1]); docs/UNITS.md',
};

export function activationOption(args: ParsedArgs): ActivationPolicy | undefined {
  return choice(args, 'activation', ACTIVATION_POLICIES);
}

export function choice<T extends string>(args: ParsedArgs, name: string, values: readonly T[]): T | undefined {
  const v = str(args, name);
  if (v !== undefined && !values.includes(v as T))
    throw new UsageError(`--${name} must be one of ${values.join('|')}, got '${v}'`);
  return v as T | undefined;
}

/**
 * Where the run checkpoints (F.partial beside --out F) and, with --shard, which slice it takes;
 * the median rest's means go beside the part (PART.means) or the checkpoint.
 */
function runScope(args: ParsedArgs): RunScope & { shard?: Shard } {
  const out = str(args, 'out');
  const shardText = str(args, 'shard');
  const resume = flag(args, 'resume');
  if (shardText !== undefined && !out)
    throw new UsageError('--shard needs --out PART (the part file memlens merge reads)');
  if (shardText !== undefined && str(args, 'csv'))
    throw new UsageError('--csv is for whole documents; merge the parts first');
  if (resume && !out) throw new UsageError('--resume needs --out F (the checkpoint is F.partial)');
  if (!out) return {};
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  return {
    shard,
    checkpoint: { path: `${out}.partial`, resume },
    spill: shard ? `${out}.means` : `${out}.partial.means`,
  };
}

export interface MetricWork<T extends { settings: Record<string, unknown> }> {
  /** The whole document. */
  run(ctl: JobControl, scope: RunScope): Promise<T>;
  /** One shard's part. */
  shard(ctl: JobControl, scope: RunScope & { shard: Shard }): Promise<PartDoc<unknown>>;
  csv(doc: T): string;
  summary(doc: T): string;
}

/**
 * Runs `work` with progress on stderr and Ctrl-C cancellation; outputs are written only once the
 * whole result exists, so a cancelled run leaves no partial file.
 */
export async function runMetricVerb<T>(
  args: ParsedArgs,
  work: (ctl: JobControl) => Promise<T & { settings: Record<string, unknown> }>,
  csv: (doc: T) => string,
  summary: (doc: T) => string,
): Promise<number> {
  const job = cliJob();
  let doc: T & { settings: Record<string, unknown> };
  try {
    doc = await work(job);
  } finally {
    job.dispose();
  }
  const csvPath = str(args, 'csv');
  if (csvPath) await writeFileAtomic(csvPath, csv(doc));
  const lines = [summary(doc), ...normalizationLine(doc.settings), ...(csvPath ? [`wrote ${csvPath}`] : [])];
  await emitResult(args, doc, () => lines.join('\n'));
  return 0;
}

/** runMetricVerb for the measuring verbs: the whole document, or with --shard one shard's part. */
export async function runMeasureVerb<T extends { settings: Record<string, unknown> }>(
  args: ParsedArgs,
  work: MetricWork<T>,
): Promise<number> {
  const scope = runScope(args);
  if (!scope.shard) return runMetricVerb(args, (ctl) => work.run(ctl, scope), work.csv, work.summary);
  const job = cliJob();
  let part: PartDoc<unknown>;
  try {
    part = await work.shard(job, { ...scope, shard: scope.shard });
  } finally {
    job.dispose();
  }
  const [start, end] = part.range;
  await emitResult(
    args,
    part,
    () =>
      `shard ${part.shard.index}/${part.shard.count}: samples ${start}..${end - 1} (combine all parts with memlens merge)`,
  );
  return 0;
}

/** A number with 3 decimals, for summaries. */
export const fmt = (v: number) => formatFixed(v, 3);
export const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
