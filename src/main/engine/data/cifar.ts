// CIFAR-10/100 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of
// label byte(s) then 32x32 planar RGB (1024 R, 1024 G, 1024 B). Kept in memory as HWC so read() is a view.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MemLensError } from '../errors.js';
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
  if (CIFAR10_NAME.test(name)) return 1;
  if (CIFAR100_NAME.test(name)) return 2;
  const fits10 = size > 0 && size % (PIXELS + 1) === 0;
  const fits100 = size > 0 && size % (PIXELS + 2) === 0;
  if (fits10 !== fits100) return fits10 ? 1 : 2;
  throw new MemLensError('BAD_DATA', `${path} is not a CIFAR binary batch (size ${size} is not a whole number of records)`);
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
  const names = text?.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names?.length ? names : undefined;
}

export async function openCifar(path: string, limit?: number): Promise<DataSource> {
  const files = await batchFiles(path);
  const chunks: { data: Uint8Array; labels: Int32Array }[] = [];
  let bytes: 1 | 2 | undefined;
  let total = 0;
  for (const file of files) {
    if (limit !== undefined && total >= limit) break;
    const raw = await readFile(file).catch((e: Error) => {
      throw new MemLensError('IO', `cannot read ${file}: ${e.message}`);
    });
    const b = labelBytes(file, raw.length);
    if (bytes !== undefined && b !== bytes) {
      throw new MemLensError('BAD_DATA', `${path} mixes CIFAR-10 and CIFAR-100 batches`);
    }
    bytes = b;
    const record = PIXELS + b;
    if (raw.length % record !== 0) {
      throw new MemLensError('BAD_DATA', `${file} is truncated: ${raw.length} bytes is not a multiple of ${record}`);
    }
    const n = Math.min(raw.length / record, limit === undefined ? Infinity : limit - total);
    const data = new Uint8Array(n * PIXELS);
    const labels = new Int32Array(n);
    const plane = SIDE * SIDE;
    for (let i = 0; i < n; i++) {
      const r = i * record;
      labels[i] = raw[r + b - 1]; // CIFAR-100: the fine label (the second byte)
      const src = r + b;
      const dst = i * PIXELS;
      for (let p = 0; p < plane; p++) {
        data[dst + 3 * p] = raw[src + p];
        data[dst + 3 * p + 1] = raw[src + plane + p];
        data[dst + 3 * p + 2] = raw[src + 2 * plane + p];
      }
    }
    chunks.push({ data, labels });
    total += n;
  }
  if (!bytes || total === 0) throw new MemLensError('BAD_DATA', `${path} holds no CIFAR records`);
  const count = keepCount(total, limit);
  const data = Buffer.concat(chunks.map((c) => c.data));
  const labels = new Int32Array(count);
  let at = 0;
  for (const c of chunks) {
    labels.set(c.labels, at);
    at += c.labels.length;
  }
  const dir = files.length === 1 && files[0] === path ? dirname(path) : path;
  const source: DataSource = {
    kind: 'cifar',
    path,
    count,
    ids: Array.from({ length: count }, (_, i) => String(i)),
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
