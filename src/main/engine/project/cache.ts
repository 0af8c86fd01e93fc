// Result cache: a metric document is stored under a key made of the model(s) sha256 and every
// setting that changes the numbers, so a rerun with the same inputs is instant and a changed
// model or option never returns a stale document.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../files.js';

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

/** Identifies a data path's content cheaply (path, size, mtime): a rewritten data file misses the cache. */
export async function dataFingerprint(path: string): Promise<Record<string, unknown>> {
  const s = await stat(path);
  return { path: resolve(path), size: s.size, mtimeMs: s.mtimeMs };
}

/** `.memlens-cache` next to the model when that folder is writable, else one in the OS temp folder. */
export async function cacheDir(modelPath: string): Promise<string> {
  const beside = dirname(resolve(modelPath));
  const ok = await access(beside, constants.W_OK).then(
    () => true,
    () => false,
  );
  return join(ok ? beside : tmpdir(), '.memlens-cache');
}

/** MEMLENS_NO_CACHE=1 turns the cache off (benchmarks, debugging). */
const disabled = () => Boolean(process.env.MEMLENS_NO_CACHE);

export async function readCache<T>(modelPath: string, key: string): Promise<T | undefined> {
  if (disabled()) return undefined;
  const file = join(await cacheDir(modelPath), `${key}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined; // absent or unreadable: recompute
  }
}

/** Best effort: a cache that cannot be written costs a recomputation next time, not the job. */
export async function writeCache(modelPath: string, key: string, doc: unknown): Promise<void> {
  if (disabled()) return;
  try {
    const dir = await cacheDir(modelPath);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, `${key}.json`), JSON.stringify(doc));
  } catch {
    // ignored on purpose, see above
  }
}
