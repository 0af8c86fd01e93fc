// Minimal argv parser for the CLI contract: `--name value`, `--flag`, `--name=value`, positionals.
export class UsageError extends Error {}

export interface ParsedArgs {
  positionals: string[];
  /** The last value of each option (a flag: true). */
  options: Map<string, string | true>;
  /** Every value of each option, in order: for options that may be given more than once. */
  repeated: Map<string, string[]>;
}

export function parseArgs(argv: string[], flags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const set = (name: string, v: string) => {
    options.set(name, v);
    repeated.set(name, [...(repeated.get(name) ?? []), v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!name) throw new UsageError(`bad option '${a}'`);
      if (eq > 0) set(name, a.slice(eq + 1));
      else if (flags.includes(name)) options.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith('--') && v.length > 2))
          throw new UsageError(`option --${name} needs a value`);
        set(name, v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, options, repeated };
}

/** Rejects options the verb does not know, so typos fail loudly (exit 2). */
export function checkKnown(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`option --${name} needs a value`);
  return v;
}

/** All values of an option that may be repeated (`--allow-write A --allow-write B`). */
export function strs(args: ParsedArgs, name: string): string[] {
  str(args, name); // a bare flag is a usage error
  return args.repeated.get(name) ?? [];
}

export function num(args: ParsedArgs, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`option --${name} expects a number, got '${v}'`);
  return n;
}

export function list(args: ParsedArgs, name: string): string[] | undefined {
  const v = str(args, name);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

export function numList(args: ParsedArgs, name: string): number[] | undefined {
  return list(args, name)?.map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UsageError(`option --${name} expects numbers, got '${s}'`);
    return n;
  });
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}
