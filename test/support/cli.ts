import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO = join(ROOT, 'resources', 'demo');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds it first) as a user would. */
export function memlens(args: string[], opts: { cwd?: string; timeout?: number } = {}): CliRun {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'memlens.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: opts.timeout ?? 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
