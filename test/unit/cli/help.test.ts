// The CLI's help text is the one source of docs/CLI.md and of `memlens VERB --help`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMarkdown, verbHelp } from '../../../src/main/cli/help.js';
import { VERBS } from '../../../src/main/cli/verbs/index.js';
import { memlens, ROOT } from '../../support/cli.js';

describe('CLI help', () => {
  it('docs/CLI.md is what npm run docs:cli writes from the verbs (run it after changing a verb)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'CLI.md'), 'utf8')).toBe(cliMarkdown());
  });

  it('memlens VERB --help prints the verb help that docs/CLI.md holds', () => {
    for (const verb of [VERBS[0], VERBS.find((v) => v.name === 'unitmem')!]) {
      const r = memlens([verb.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(verbHelp(verb) + '\n');
    }
  });

  it('every option in a usage line is an accepted, documented option, and none is listed twice', () => {
    for (const verb of VERBS) {
      const names = verb.options.map((o) => o.name);
      expect(new Set(names).size, verb.name).toBe(names.length);
      for (const [, used] of verb.usage.matchAll(/--([a-z-]+)/g))
        expect(names, `${verb.name} --${used}`).toContain(used);
      for (const o of verb.options) expect(o.help.length, `${verb.name} --${o.name}`).toBeGreaterThan(10);
    }
  });

  it('an option the verb does not list is a usage error: exit 2 with the usage line', () => {
    const r = memlens(['inspect', 'm.onnx', '--views', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`memlens inspect: unknown option --views\nusage: memlens ${VERBS[0].usage}\n`);
  });
});
