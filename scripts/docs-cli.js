// `npm run docs:cli`: writes docs/CLI.md from the verbs' help text (src/main/cli/help.ts), so the
// reference and `memlens VERB --help` cannot differ; test/unit/cli/help.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleNode } from './build-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'out', 'docs', 'help.mjs');
await bundleNode(join(root, 'src/main/cli/help.ts'), entry);
const { cliMarkdown } = await import(pathToFileURL(entry).href);
writeFileSync(join(root, 'docs', 'CLI.md'), cliMarkdown());
console.log('wrote docs/CLI.md');
