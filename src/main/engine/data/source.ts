// One interface over every kind of data MemLens reads; openSource picks the kind from the path.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MemLensError } from '../errors.js';
import type { RawImage } from './image.js';
import { isCifarBatchName, openCifar } from './cifar.js';
import { openImageFolder } from './folder.js';
import { isIdxImagesName, openIdx } from './idx.js';

export type SourceKind = 'folder' | 'idx' | 'cifar' | 'views';

export interface DataSource {
  kind: SourceKind;
  path: string;
  count: number;
  /** Stable sample ids: relative file path (folder), sample folder name (views) or dataset index. */
  ids: string[];
  labels?: Int32Array;
  classes?: string[];
  /** 1 when every image is gray, else 3. */
  channels: 1 | 3;
  /** Sample i (for view folders: its anchor, the first view in file-name order). Pixels are shared: read-only. */
  read(i: number): Promise<RawImage>;
  /** All given views of sample i (view folders only). */
  readViews?(i: number): Promise<RawImage[]>;
  /** Files that could not be decoded; not part of count/ids. */
  skipped: { id: string; reason: string }[];
}

export interface OpenOptions {
  /** Keep only the first N samples in source order. */
  limit?: number;
  /** Force a kind instead of detecting it (e.g. 'views' for a project's data.views folder). */
  kind?: SourceKind;
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new MemLensError('BAD_INPUT', `limit must be a positive integer, got ${limit}`);
  }
}

/** How many of `available` samples a (checked) limit keeps. */
export function keepCount(available: number, limit: number | undefined): number {
  return limit === undefined ? available : Math.min(available, limit);
}

/** Class names for sets that ship none (IDX, CIFAR without its meta file): the label values 0..max. */
export function numberedClasses(labels: ArrayLike<number>): string[] {
  let max = 0;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]);
  return Array.from({ length: max + 1 }, (_, k) => String(k));
}

/** Throws a one-line error when sample index i is out of range for `source`. */
export function checkIndex(source: { path: string; count: number }, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= source.count) {
    throw new MemLensError('BAD_INPUT', `sample ${i} is out of range for ${source.path} (${source.count} samples)`);
  }
}

async function detectKind(path: string): Promise<SourceKind> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new MemLensError('NOT_FOUND', `data path ${path} does not exist`);
  const name = basename(path);
  if (s.isFile()) {
    if (isIdxImagesName(name)) return 'idx';
    if (name.endsWith('.bin')) return 'cifar';
    throw new MemLensError(
      'BAD_DATA',
      `${path} is not a data source (expected an image folder, an *-images-idx3-ubyte[.gz] file or CIFAR .bin batches)`,
    );
  }
  if (!s.isDirectory()) throw new MemLensError('BAD_DATA', `data path ${path} is neither a file nor a folder`);
  const entries = await readdir(path).catch((e: Error) => {
    throw new MemLensError('IO', `cannot read folder ${path}: ${e.message}`);
  });
  if (entries.some(isCifarBatchName)) return 'cifar';
  const idx = entries.find(isIdxImagesName);
  if (idx) {
    throw new MemLensError('BAD_DATA', `${path} holds IDX files; pass the images file itself, e.g. ${join(path, idx)}`);
  }
  return 'folder';
}

/** Opens a data source; `kind` 'folder' also recognizes per-sample view folders (see folder.ts). */
export async function openSource(path: string, opts: OpenOptions = {}): Promise<DataSource> {
  checkLimit(opts.limit);
  const kind = opts.kind ?? (await detectKind(path));
  if (kind === 'idx') return openIdx(path, opts.limit);
  if (kind === 'cifar') return openCifar(path, opts.limit);
  return openImageFolder(path, {
    limit: opts.limit,
    views: opts.kind === undefined ? undefined : opts.kind === 'views',
  });
}
