import { throwIfAborted } from '../errors.js';
import type { RawImage } from './image.js';
import type { DataSource } from './source.js';

/** Consecutive index ranges [start, end) covering 0..count-1; checks `signal` before each. */
export async function* batches(
  source: { count: number },
  batchSize: number,
  signal?: AbortSignal,
): AsyncGenerator<{ start: number; end: number }> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  for (let start = 0; start < source.count; start += batchSize) {
    throwIfAborted(signal);
    yield { start, end: Math.min(start + batchSize, source.count) };
  }
}

/** Samples start..end-1 of `source`. */
export function readRange(source: DataSource, start: number, end: number): Promise<RawImage[]> {
  return Promise.all(Array.from({ length: end - start }, (_, k) => source.read(start + k)));
}
