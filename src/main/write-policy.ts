// Where the hosts that take calls from a page (the Electron app, `memlens serve`) let the engine
// write: inside the open project's folder, inside a folder the user allowed (`serve --allow-write`),
// or at a path a file dialog returned in this session, with the files the engine writes beside it.
// Any other output path is refused with FORBIDDEN before the engine runs (docs/SECURITY.md, "Where
// the app and serve write"). The CLI writes where its arguments say and does not use this.
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { API_METHODS, type ApiMethod, type HostDialogs, type MemLensApi, type ProjectInfo } from '../shared/api.js';
import { API_SPECS } from './engine/dispatch.js';
import { MemLensError } from './engine/errors.js';

/** The request fields of each method that name a path it writes (marked in API_SPECS). */
const WRITTEN_FIELDS = new Map(
  API_METHODS.map((m) => {
    const spec = API_SPECS[m] as Record<string, { writes?: boolean }> | null;
    return [m, Object.entries(spec ?? {}).flatMap(([k, f]) => (f.writes ? [k] : []))] as const;
  }),
);

/** Calls that open a project: its folder becomes the open project's folder. */
const PROJECT_OPENERS = ['demoProject', 'openProject', 'createProject'] as const satisfies readonly ApiMethod[];

/**
 * The path as the file system will see it: the longest leading part that exists goes through
 * realpath, which follows symbolic links and `..` the way the kernel does (`link/..` is the link
 * target's parent, not the folder holding the link), and the rest, which does not exist yet, is
 * appended.
 */
async function realTarget(path: string): Promise<string> {
  const parts = (isAbsolute(path) ? path : process.cwd() + sep + path).split(sep);
  for (let n = parts.length; n > 1; n--) {
    const real = await realpath(parts.slice(0, n).join(sep)).catch(() => undefined);
    if (real !== undefined) return join(real, ...parts.slice(n));
  }
  return resolve(path);
}

const inside = (folder: string, path: string) =>
  path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/** `x.onnx` chosen: `x.onnx`, anything below it (a folder chosen) and `x.*` beside it (x.prune.json, x.<hash>.data, x.csv). */
function besideChosen(chosen: string, path: string): boolean {
  if (inside(chosen, path)) return true;
  const stem = basename(chosen, extname(chosen));
  return dirname(path) === dirname(chosen) && basename(path).startsWith(`${stem}.`);
}

export class WritePolicy {
  private readonly folders: string[] = [];
  private readonly chosen: string[] = [];
  private project: string | undefined;

  /** `how`: what the user can do to allow a refused path, in this host's words. */
  constructor(private readonly how: string) {}

  /** A folder the user allowed when starting the host; it must exist. */
  async allowFolder(dir: string): Promise<void> {
    const real = await realpath(dir).catch(() => undefined);
    if (real === undefined || !(await stat(real)).isDirectory())
      throw new MemLensError('NOT_FOUND', `cannot allow writes in ${dir}: it is not an existing folder`);
    this.folders.push(real);
  }

  /** A path a file dialog returned: the user chose it. */
  async chose(path: string): Promise<void> {
    this.chosen.push(await realTarget(path));
  }

  /** The project file just opened: its folder takes outputs from now on, instead of the previous one's. */
  async opened(projectFile: string): Promise<void> {
    this.project = dirname(await realTarget(projectFile));
  }

  /** Throws FORBIDDEN naming the first path of `req` that `method` would write outside what is allowed. */
  async check(method: ApiMethod, req: unknown): Promise<void> {
    for (const field of WRITTEN_FIELDS.get(method) ?? []) {
      const path = (req as Record<string, unknown> | undefined)?.[field];
      if (typeof path !== 'string') continue;
      const target = await realTarget(path);
      const roots = this.project === undefined ? this.folders : [...this.folders, this.project];
      if (roots.some((r) => inside(r, target)) || this.chosen.some((c) => besideChosen(c, target))) continue;
      throw new MemLensError(
        'FORBIDDEN',
        `${method}: writing ${path} is not allowed: it is outside the open project's folder; ${this.how}`,
      );
    }
  }
}

/** The API with each writing call checked against `policy` first, and each opened project recorded. */
export function guardWrites(api: MemLensApi, policy: WritePolicy): MemLensApi {
  const call = (m: ApiMethod) => api[m] as (req?: unknown) => Promise<unknown>;
  const guarded = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (req?: unknown) => {
        await policy.check(m, req);
        const result = await call(m)(req);
        if ((PROJECT_OPENERS as readonly ApiMethod[]).includes(m)) await policy.opened((result as ProjectInfo).path);
        return result;
      },
    ]),
  );
  return guarded as unknown as MemLensApi;
}

/** Dialogs that tell `policy` every path the user picked. */
export function recordingChoices(dialogs: HostDialogs, policy: WritePolicy): HostDialogs {
  return {
    async chooseFile(req) {
      const path = await dialogs.chooseFile(req);
      if (path !== null) await policy.chose(path);
      return path;
    },
  };
}
