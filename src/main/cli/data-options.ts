import type { DataOptions } from '../../shared/api.js';
import { MAX_AUTO_BATCH } from '../engine/memory.js';
import { DEFAULT_SEED } from '../engine/metrics/settings.js';
import { num, numList, str, UsageError, type ParsedArgs } from './args.js';
import type { Option } from './verb.js';

export const LIMIT_OPTION: Option = {
  name: 'limit',
  value: 'N',
  help: 'use only the first N samples of each data set',
};

/** Options every data-reading verb takes (docs/DATA.md: normalization and input size). */
export const DATA_OPTIONS: readonly Option[] = [
  {
    name: 'mean',
    value: 'M[,M,M]',
    help: 'normalization mean per channel, pixels scaled to [0, 1] first (default: the project file beside the model, else 0.5)',
  },
  {
    name: 'std',
    value: 'S[,S,S]',
    help: 'normalization std per channel (default: the project file beside the model, else 0.5)',
  },
  { name: 'size', value: 'HxW', help: "resize images to HxW (default: the model's input size)" },
  {
    name: 'batch',
    value: 'N',
    help: `images per inference batch (default: as many as fit the memory budget MEMLENS_MEMORY_MB, at most ${MAX_AUTO_BATCH}; docs/SCALE.md)`,
  },
  { name: 'seed', value: 'S', help: `seed of the random views (default ${DEFAULT_SEED})` },
  LIMIT_OPTION,
];

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
