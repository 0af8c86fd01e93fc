// What the metric verbs (unitmem, classmem, layermem) share: choice options, running the engine
// call as a cancellable job with progress, and writing the document (--out/--json) and CSV (--csv).
import { ACTIVATION_POLICIES, type ActivationPolicy, type JobControl } from '../../shared/api.js';
import { formatFixed } from '../../shared/format.js';
import { writeFileAtomic } from '../engine/files.js';
import { str, UsageError, type ParsedArgs } from './args.js';
import { emitResult, JSON_OPTION, normalizationLine, OUT_OPTION } from './output.js';
import { cliJob } from './progress.js';
import type { Option } from './verb.js';

export const CSV_OPTION: Option = { name: 'csv', value: 'F', help: 'also write the figures as CSV to F' };

/** Options every metric verb takes besides the data options. */
export const METRIC_OPTIONS: readonly Option[] = [
  JSON_OPTION,
  OUT_OPTION,
  CSV_OPTION,
  { name: 'layers', value: 'A,B', help: 'measure only these layers (names as `memlens inspect` lists them; default: every prunable layer)' },
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
  if (v !== undefined && !values.includes(v as T)) throw new UsageError(`--${name} must be one of ${values.join('|')}, got '${v}'`);
  return v as T | undefined;
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

/** A number with 3 decimals, for summaries. */
export const fmt = (v: number) => formatFixed(v, 3);
export const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
