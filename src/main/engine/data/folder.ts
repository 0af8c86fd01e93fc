// Image folders. Two layouts share one walker:
//  * class folders: images anywhere below; the first-level sub-folder names are the classes;
//  * per-sample view folders: <root>/<sample>/<view images>; the first view in name order is the anchor.
// A folder is taken as view folders when every image sits exactly one level down, all sample folders
// hold the same number (>= 2) of images and there are more samples than views per sample: class
// folders have the opposite shape (few classes, many images each). `views` forces either reading.
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MemLensError } from '../errors.js';
import { decodeFiles, isImageName } from './decode.js';
import { checkIndex, keepCount, type DataSource } from './source.js';

/**
 * Image files below `root`, as '/'-separated relative paths, sorted by code point. Hidden files and
 * folders (a name starting with '.', e.g. macOS '._x.png' resource forks) are not data.
 */
async function listImages(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((e: Error) => {
    throw new MemLensError('IO', `cannot read folder ${root}: ${e.message}`);
  });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageName(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((f) => !f.split('/').some((part) => part.startsWith('.')))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Groups relative paths by their first folder; undefined when some file is not exactly one level down. */
function groupBySample(files: string[]): Map<string, string[]> | undefined {
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const parts = f.split('/');
    if (parts.length !== 2) return undefined;
    const list = groups.get(parts[0]) ?? [];
    list.push(f);
    groups.set(parts[0], list);
  }
  return groups;
}

function looksLikeViews(groups: Map<string, string[]>): boolean {
  const sizes = new Set([...groups.values()].map((g) => g.length));
  const [perSample] = sizes;
  return sizes.size === 1 && perSample >= 2 && groups.size > perSample;
}

export async function openImageFolder(root: string, opts: { limit?: number; views?: boolean }): Promise<DataSource> {
  const files = await listImages(root);
  if (files.length === 0)
    throw new MemLensError('BAD_DATA', `${root} holds no images (png, jpg, webp, gif, tiff, avif)`);
  const groups = groupBySample(files);
  if (opts.views === true && !groups) {
    throw new MemLensError(
      'BAD_DATA',
      `${root} is not a folder of per-sample view folders (images must sit one level down)`,
    );
  }
  if (groups && (opts.views ?? looksLikeViews(groups))) return openViews(root, groups, opts.limit);
  return openClasses(root, files, opts.limit);
}

async function openClasses(root: string, files: string[], limit?: number): Promise<DataSource> {
  const decoded = await decodeFiles(
    files.map((f) => join(root, f)),
    limit,
  );
  if (decoded.good.length === 0) throw new MemLensError('BAD_DATA', `${root} holds no decodable images`);
  const ids = decoded.good.map((i) => files[i]);
  // Labels only when every image sits in a class sub-folder.
  const labelled = ids.every((id) => id.includes('/'));
  const classes = labelled ? [...new Set(ids.map((id) => id.split('/')[0]))].sort() : undefined;
  const classIndex = new Map(classes?.map((c, k) => [c, k]));
  const source: DataSource = {
    kind: 'folder',
    path: root,
    count: ids.length,
    ids,
    labels: labelled ? Int32Array.from(ids, (id) => classIndex.get(id.split('/')[0]) ?? -1) : undefined,
    classes,
    channels: decoded.channels,
    skipped: decoded.failed.map((f) => ({ id: files[f.index], reason: f.reason })),
    read: async (i) => {
      checkIndex(source, i);
      return decoded.get(decoded.good[i]);
    },
  };
  return source;
}

async function openViews(root: string, groups: Map<string, string[]>, limit?: number): Promise<DataSource> {
  const names = [...groups.keys()].sort();
  const files = names.flatMap((n) => groups.get(n) ?? []);
  const decoded = await decodeFiles(files.map((f) => join(root, f)));
  const ok = new Set(decoded.good);
  const skipped = decoded.failed.map((f) => ({ id: files[f.index], reason: f.reason }));
  const samples: { id: string; views: number[] }[] = [];
  let at = 0;
  for (const name of names) {
    const n = groups.get(name)?.length ?? 0;
    const views = Array.from({ length: n }, (_, k) => at + k).filter((i) => ok.has(i));
    at += n;
    if (views.length > 0) samples.push({ id: name, views });
    else skipped.push({ id: name, reason: 'no decodable view' });
  }
  if (samples.length === 0) throw new MemLensError('BAD_DATA', `${root} holds no decodable images`);
  const kept = samples.slice(0, keepCount(samples.length, limit));
  const source: DataSource = {
    kind: 'views',
    path: root,
    count: kept.length,
    ids: kept.map((s) => s.id),
    channels: decoded.channels,
    skipped,
    read: async (i) => {
      checkIndex(source, i);
      return decoded.get(kept[i].views[0]);
    },
    readViews: async (i) => {
      checkIndex(source, i);
      return Promise.all(kept[i].views.map((v) => decoded.get(v)));
    },
  };
  return source;
}
