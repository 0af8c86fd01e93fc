import type { ParsedArgs } from './args.js';

/** One CLI verb: thin over the engine. `run` returns the exit code. */
export interface Verb {
  name: string;
  summary: string;
  usage: string;
  /** Boolean options (take no value). */
  flags?: readonly string[];
  run(args: ParsedArgs): Promise<number>;
}
