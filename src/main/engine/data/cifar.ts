// CIFAR-10/100 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of
// label byte(s) then 32x32 planar RGB (1024 R, 1024 G, 1024 B). Kept in memory as HWC so read() is a view.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MemLensError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { checkIndex, keepCount, numberedClasses, type DataSource } from './source.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;
const CIFAR10_NAME = /^(data_batch_\d+|test_batch)\.bin$/;
const CIFAR100_NAME = /^(train|test)\.bin$/;

export function isCifarBatchName(name: string): boolean {
  return CIFAR10_NAME.test(name) || CIFAR100_NAME.test(name);
}

/** Label bytes per record: 1 (CIFAR-10) or 2 (CIFAR-100: coarse then fine); from the name, else the size. */
function labelBytes(path: string, size: number): 1 | 2 {
  const name = basename(path);
  const fits = (b: 1 | 2) => size > 0 && size % (PIXELS + b) === 0;
  const byName = CIFAR10_NAME.test(name) ? 1 : CIFAR100_NAME.test(name) ? 2 : undefined;
  if (byName && fits(byName)) return byName;
  if (!byName && fits(1) !== fits(2)) return fits(1) ? 1 : 2;
  throw new MemLensError(
    'BAD_DATA',
    `${path} is not a CIFAR binary batch (size ${size} is not a whole number of records)`,
  );
}

async function batchFiles(path: string): Promise<string[]> {
  if ((await stat(path)).isFile()) return [path];
  const names = (await readdir(path)).filter(isCifarBatchName).sort();
  return names.map((n) => join(path, n));
}

/** Class names from the text file CIFAR ships next to the batches, if present. */
async function classNames(dir: string, bytes: 1 | 2): Promise<string[] | undefined> {
  const file = join(dir, bytes === 1 ? 'batches.meta.txt' : 'fine_label_names.txt');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const names = text
    ?.split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names?.length ? names : undefined;
}

/** Decodes `n` records of `raw` into labels[at..] and HWC pixels at record `at` of `data`. */
function decodeRecords(
  raw: Uint8Array,
  bytes: 1 | 2,
  n: number,
  at: number,
  data: Uint8Array,
  labels: Int32Array,
): void {
  const record = PIXELS + bytes;
  const plane = SIDE * SIDE;
  for (let i = 0; i < n; i++) {
    const src = i * record + bytes;
    labels[at + i] = raw[src - 1]; // CIFAR-100: the fine label (the second byte)
    const dst = (at + i) * PIXELS;
    for (let p = 0; p < plane; p++) {
      data[dst + 3 * p] = raw[src + p];
      data[dst + 3 * p + 1] = raw[src + plane + p];
      data[dst + 3 * p + 2] = raw[src + 2 * plane + p];
    }
  }
}

export async function openCifar(path: string, limit?: number): Promise<DataSource> {
  const files = await batchFiles(path);
  // Sizes first, so the pixels are decoded straight into one buffer of the final size.
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const kinds = files.map((f, k) => labelBytes(f, sizes[k]));
  const bytes = kinds[0];
  if (bytes === undefined)
    throw new MemLensError('BAD_DATA', `${path} holds no CIFAR batches (data_batch_*.bin, test_batch.bin)`);
  if (kinds.some((b) => b !== bytes))
    throw new MemLensError('BAD_DATA', `${path} mixes CIFAR-10 and CIFAR-100 batches`);
  const records = sizes.map((size) => size / (PIXELS + bytes));
  const total = keepCount(
    records.reduce((a, b) => a + b, 0),
    limit,
  );
  const data = new Uint8Array(total * PIXELS);
  const labels = new Int32Array(total);
  for (let k = 0, at = 0; k < files.length && at < total; k++) {
    const raw = await readRegularFile(files[k], 'CIFAR batch');
    const n = Math.min(records[k], total - at);
    decodeRecords(raw, bytes, n, at, data, labels);
    at += n;
  }
  const dir = files.length === 1 && files[0] === path ? dirname(path) : path;
  const source: DataSource = {
    kind: 'cifar',
    path,
    count: total,
    ids: Array.from({ length: total }, (_, i) => String(i)),
    labels,
    classes: (await classNames(dir, bytes)) ?? numberedClasses(labels),
    channels: 3,
    skipped: [],
    read: async (i) => {
      checkIndex(source, i);
      return { width: SIDE, height: SIDE, channels: 3, data: data.subarray(i * PIXELS, (i + 1) * PIXELS) };
    },
  };
  return source;
}
