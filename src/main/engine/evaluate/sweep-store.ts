// Sweeps kept with their project, like runs in an experiment tracker: compare with `project` (the
// app) writes into a new folder of the project's sweeps folder, and listSweeps lists them for
// reopening after a reload or a restart. The folder is hidden beside the project file; a project
// in a folder the user cannot write (an installed demo) keeps its sweeps in the per-user data folder
// (never a folder shared with other users, as the cache: docs/SECURITY.md).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { SavedSweepInfo } from '../../../shared/api.js';
import { openSavedSweep } from './saved-sweep.js';

const FOLDER = '.memlens-sweeps';

export async function sweepsFolder(project: string): Promise<string> {
  const beside = dirname(resolve(project));
  const writable = await access(beside, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (writable) return join(beside, FOLDER);
  const id = createHash('sha256').update(resolve(project)).digest('hex').slice(0, 16);
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'memlens', 'sweeps', id);
}

/** A new, empty folder for one sweep, named after the time it starts. */
export async function newSweepFolder(project: string): Promise<string> {
  const root = await sweepsFolder(project);
  await mkdir(root, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (let n = 1; ; n++) {
    const folder = join(root, n === 1 ? stamp : `${stamp}-${n}`);
    // mkdir without recursive fails on an existing folder: two sweeps never share one.
    const made = await mkdir(folder).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return false;
        throw e;
      },
    );
    if (made) return folder;
  }
}

export async function listSweeps(project: string): Promise<SavedSweepInfo[]> {
  const root = await sweepsFolder(project);
  const names = await readdir(root).catch(() => [] as string[]);
  const found: SavedSweepInfo[] = [];
  for (const name of names) {
    const path = join(root, name);
    const file = await stat(join(path, 'compare.json')).catch(() => undefined);
    if (!file?.isFile()) continue; // a sweep still running, or one that failed: nothing to open
    const created = file.mtime.toISOString();
    try {
      const s = (await openSavedSweep(path)).settings;
      const grid = (s.grid ?? []) as { ratio: number }[];
      found.push({
        path,
        created,
        strategies: s.strategies as string[],
        ratios: [...new Set(grid.map((c) => c.ratio))],
        probe: s.probe as string,
        views: s.views as number,
        seeds: s.seeds as number[],
        reference: Boolean(s.sslmem),
      });
    } catch (e) {
      found.push({ path, created, error: (e as Error).message });
    }
  }
  return found.sort((a, b) => b.created.localeCompare(a.created));
}
