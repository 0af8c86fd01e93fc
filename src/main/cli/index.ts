// `memlens <verb> [options]`: exit 0 on success, 1 on bad input (one-line reason), 2 on usage errors.
import { MemLensError } from '../engine/errors.js';
import { checkKnown, parseArgs, UsageError } from './args.js';
import { mainHelp, verbHelp } from './help.js';
import { VERBS } from './verbs/index.js';

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${__MEMLENS_VERSION__}\n`);
    return 0;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    process.stderr.write(`memlens: unknown verb '${name}' (see memlens --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(verbHelp(verb) + '\n');
    return 0;
  }
  try {
    const args = parseArgs(
      rest,
      verb.options.filter((o) => !o.value).map((o) => o.name),
    );
    checkKnown(
      args,
      verb.options.map((o) => o.name),
    );
    return await verb.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`memlens ${name}: ${e.message}\nusage: memlens ${verb.usage}\n`);
      return 2;
    }
    if (e instanceof MemLensError) {
      process.stderr.write(`memlens ${name}: ${e.message}\n`);
      return 1;
    }
    // An engine bug still gets one line and a non-zero exit; the stack only on request.
    process.stderr.write(`memlens ${name}: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.MEMLENS_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`memlens: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
