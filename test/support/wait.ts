// Waiting on events in tests: every wait has a deadline that fails the test with what was awaited,
// instead of hanging until the runner's timeout.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** `promise`, or a failure naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no ${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The first line a child prints on stdout; fails if it exits first or prints nothing within `ms`. */
export function firstLine(child: ChildProcess, ms: number, what: string): Promise<string> {
  const line = new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', (l) => ok(l.trim()));
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code} before printing a line`)));
  });
  return within(line, ms, `first line from ${what}`);
}
