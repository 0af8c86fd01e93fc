// `memlens <verb> [options]`: exit 0 on success, 1 on bad input (one-line reason), 2 on usage errors.
import { MemLensError } from '../engine/errors.js';
import { parseArgs, UsageError } from './args.js';
import { VERBS } from './verbs/index.js';

function help(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return [
    'memlens — localize memorization in SSL vision encoders, prune, fine-tune, export ONNX',
    '',
    'usage: memlens <verb> [options]   (memlens <verb> --help for its options)',
    '',
    ...VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`),
    '',
    'data options: --mean M[,M,M] --std S[,S,S] --size HxW --batch N --seed S --json --out F',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
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
    process.stdout.write(`usage: memlens ${verb.usage}\n`);
    return 0;
  }
  try {
    return await verb.run(parseArgs(rest, [...(verb.flags ?? []), 'json']));
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
