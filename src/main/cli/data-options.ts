import type { DataOptions } from '../../shared/api.js';
import { num, numList, str, UsageError, type ParsedArgs } from './args.js';

/** Options every data-reading verb takes (DESIGN.md, CLI contract). */
export const DATA_OPTIONS = ['mean', 'std', 'size', 'batch', 'seed', 'limit', 'json', 'out'] as const;

export function dataOptions(args: ParsedArgs): DataOptions {
  const o: DataOptions = {};
  const mean = numList(args, 'mean');
  const std = numList(args, 'std');
  // One without the other would mix the given values with a project's or the default.
  if (!mean !== !std) throw new UsageError('--mean and --std go together (one value per channel, or one for all)');
  if (mean) o.mean = mean;
  if (std) {
    if (std.some((s) => s <= 0)) throw new UsageError('--std values must be positive');
    o.std = std;
  }
  const size = str(args, 'size');
  if (size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(size);
    if (!m) throw new UsageError(`--size expects HxW, got '${size}'`);
    o.size = [Number(m[1]), Number(m[2])];
  }
  const batch = num(args, 'batch');
  if (batch !== undefined) {
    if (!Number.isInteger(batch) || batch < 1) throw new UsageError('--batch must be a positive integer');
    o.batch = batch;
  }
  const seed = num(args, 'seed');
  if (seed !== undefined) o.seed = seed;
  const limit = num(args, 'limit');
  if (limit !== undefined) o.limit = limit;
  return o;
}
