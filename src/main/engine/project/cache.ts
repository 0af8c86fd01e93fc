// Result cache: a metric document is stored under a key made of the model(s) sha256 and every
// setting that changes the numbers, so a rerun with the same inputs is instant and a changed
// model or option never returns a stale document.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { readRegularFile, writeFileAtomic } from '../files.js';

/** Canonical JSON (sorted keys) so equal settings give equal keys whatever their order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function cacheKey(kind: string, parts: Record<string, unknown>): string {
  return `${kind}-${createHash('sha256').update(canonical(parts)).digest('hex').slice(0, 32)}`;
}

/**
 * Identifies a data path's content cheaply: path, size and mtime of the file itself and of the files
 * beside it (an IDX images file's labels, CIFAR's class names), or for a folder of every file below
 * it, so an edited, added or removed image misses the cache (a folder's own stat does not change
 * when a file in a sub-folder is rewritten).
 */
export async function dataFingerprint(path: string): Promise<Record<string, unknown>> {
  const root = resolve(path);
  const s = await stat(root);
  const folder = s.isDirectory() ? root : dirname(root);
  const entries = await readdir(folder, { recursive: s.isDirectory(), withFileTypes: true });
  const h = createHash('sha256');
  // Hidden names are not data (folder.ts) and include this cache's own folder and temp files.
  const names = entries
    .map((e) => relative(folder, join(e.parentPath, e.name)))
    .filter((n) => !n.split(sep).some((part) => part.startsWith('.')))
    .sort();
  for (const name of names) {
    const f = await stat(join(folder, name)).catch(() => undefined);
    if (f?.isFile()) h.update(`${name}\0${f.size}\0${f.mtimeMs}\n`);
  }
  return { path: root, size: s.size, mtimeMs: s.mtimeMs, files: h.digest('hex') };
}

/** A folder only this user can change: theirs and not writable by group or others (not /tmp itself). */
async function ownedByUser(dir: string): Promise<boolean> {
  const s = await lstat(dir).catch(() => undefined);
  if (!s?.isDirectory()) return false;
  const mine = process.getuid === undefined || s.uid === process.getuid();
  return (
    mine &&
    (s.mode & 0o022) === 0 &&
    (await access(dir, constants.W_OK).then(
      () => true,
      () => false,
    ))
  );
}

/** The per-user cache folder: $XDG_CACHE_HOME/memlens or ~/.cache/memlens (never a folder shared with others). */
function userCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'memlens');
}

/**
 * `.memlens-cache` next to the model when that folder is private to this user (docs/SECURITY.md),
 * else the per-user cache folder: a folder others can write to (the model in /tmp) could hold results
 * another user planted there.
 */
export async function cacheDir(modelPath: string): Promise<string> {
  const beside = dirname(resolve(modelPath));
  if (!(await ownedByUser(beside))) return userCacheDir();
  const dir = join(beside, '.memlens-cache');
  const s = await lstat(dir).catch(() => undefined);
  return !s || (await ownedByUser(dir)) ? dir : userCacheDir();
}

/** MEMLENS_NO_CACHE=1 turns the cache off (benchmarks, debugging). */
const disabled = () => Boolean(process.env.MEMLENS_NO_CACHE);

/**
 * The document stored under `key`. Files hold { key, doc }: anything else (a truncated file, `{}`,
 * a file copied under another name) is a miss, never a document handed to the caller.
 */
export async function readCache<T>(modelPath: string, key: string): Promise<T | undefined> {
  if (disabled()) return undefined;
  const file = join(await cacheDir(modelPath), `${key}.json`);
  try {
    const stored = JSON.parse((await readRegularFile(file, 'cache file')).toString('utf8')) as {
      key?: unknown;
      doc?: unknown;
    };
    return stored.key === key && typeof stored.doc === 'object' && stored.doc !== null ? (stored.doc as T) : undefined;
  } catch {
    return undefined; // absent or unreadable: recompute
  }
}

/** Best effort: a cache that cannot be written costs a recomputation next time, not the job. */
export async function writeCache(modelPath: string, key: string, doc: unknown): Promise<void> {
  if (disabled()) return;
  try {
    const dir = await cacheDir(modelPath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, `${key}.json`), JSON.stringify({ key, doc }));
  } catch {
    // ignored on purpose, see above
  }
}
