import { formatNormalization } from '../../shared/format.js';
import { writeFileAtomic } from '../engine/files.js';
import { flag, str, type ParsedArgs } from './args.js';
import type { Option } from './verb.js';

/** The options emitResult reads. */
export const JSON_OPTION: Option = {
  name: 'json',
  help: 'print the result document (JSON) on stdout instead of the summary',
};
export const OUT_OPTION: Option = { name: 'out', value: 'F', help: 'write the result document (JSON) to F' };

/** The summary line saying which normalization a result used: a wrong one changes every number. */
export function normalizationLine(settings: Record<string, unknown>): string[] {
  const n = formatNormalization(settings, '--mean/--std');
  return n ? [`normalization ${n}`] : [];
}

/** Prints the result document with --json, writes it with --out, else prints `summary`. */
export async function emitResult(args: ParsedArgs, doc: unknown, summary: () => string): Promise<void> {
  const out = str(args, 'out');
  if (out) await writeFileAtomic(out, JSON.stringify(doc, null, 2) + '\n');
  if (flag(args, 'json')) process.stdout.write(JSON.stringify(doc) + '\n');
  else process.stdout.write(summary() + (out ? `\nwrote ${out}\n` : '\n'));
}
