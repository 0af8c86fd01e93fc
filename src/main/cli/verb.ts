import type { ParsedArgs } from './args.js';

/** One option: `--name VALUE`, or a boolean flag when `value` is absent; `help` is one line. */
export interface Option {
  name: string;
  value?: string;
  help: string;
}

/**
 * One CLI verb: thin over the engine. Its help text (`memlens VERB --help`, and docs/CLI.md, which
 * `npm run docs:cli` writes from it) is made of `usage`, `description` and `options` (help.ts).
 */
export interface Verb {
  name: string;
  summary: string;
  usage: string;
  /** What the verb does and writes, a few sentences. */
  description: string;
  /** Every option the verb accepts; any other is a usage error (exit 2). */
  options: readonly Option[];
  /** `run` returns the exit code. */
  run(args: ParsedArgs): Promise<number>;
}
