// The CLI's help text, made from the verbs' own usage, description and options: `memlens --help`,
// `memlens VERB --help`, and docs/CLI.md (scripts/docs-cli.js writes it from cliMarkdown()).
import type { Verb } from './verb.js';
import { VERBS } from './verbs/index.js';

export function mainHelp(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return [
    'memlens — localize memorization in SSL vision encoders, prune, fine-tune, export ONNX',
    '',
    'usage: memlens <verb> [options]   (memlens <verb> --help for its options)',
    '',
    ...VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`),
    '',
    'Data (D) is a folder of class folders, a flat image folder, an IDX or CIFAR file, or a folder of',
    'per-sample view folders (docs/DATA.md). Exit 0 on success, 1 on bad input (one line on stderr),',
    '2 on a usage error.',
  ].join('\n');
}

/** What `memlens VERB --help` prints. */
export function verbHelp(verb: Verb): string {
  const names = verb.options.map((o) => `--${o.name}${o.value ? ` ${o.value}` : ''}`);
  const w = Math.max(0, ...names.map((n) => n.length));
  return [
    `usage: memlens ${verb.usage}`,
    '',
    ...wrap(verb.description, 100),
    ...(verb.options.length
      ? ['', 'options:', ...verb.options.map((o, i) => `  ${names[i].padEnd(w)}  ${o.help}`)]
      : []),
  ].join('\n');
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** docs/CLI.md: the main help, then each verb's help, exactly as the CLI prints them. */
export function cliMarkdown(): string {
  const block = (text: string) => ['```text', text, '```'];
  return [
    '# The memlens CLI',
    '',
    '<!-- Written by `npm run docs:cli` from the help text in src/main/cli/verbs/; do not edit by hand. -->',
    '',
    'Headless use of everything the app does. Run `npx memlens VERB --help` for the same text.',
    '',
    ...block(mainHelp()),
    ...VERBS.flatMap((v) => ['', `## ${v.name}`, '', v.summary + '.', '', ...block(verbHelp(v))]),
    '',
  ].join('\n');
}
