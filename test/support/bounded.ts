import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface BoundedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without the peak-memory report. */
  stderr: string;
  /** Peak resident memory in bytes (undefined when the process died before reporting it). */
  maxRss?: number;
  ms: number;
}

/**
 * Runs the built CLI with a deadline (the process is killed past it, and the run says so) and
 * reports its peak resident memory (max-rss.mjs): what a hostile input cost, not only what it said.
 */
export function memlensBounded(
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {},
): Promise<BoundedRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT, 'test', 'support', 'max-rss.mjs'), join(ROOT, 'bin', 'memlens.js'), ...args],
    {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((ok) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /\n@max-rss-kb (\d+)\n$/.exec(stderr);
      ok({
        code,
        signal,
        stdout,
        stderr: m ? stderr.slice(0, m.index) : stderr,
        maxRss: m ? Number(m[1]) * 1024 : undefined,
        ms: Date.now() - started,
      });
    }),
  );
}
