#!/usr/bin/env node
// Runs the built CLI; builds it first when it or one of its workers is missing (a fresh clone after
// `npm ci`, or a bundle from before a worker existed), and builds the app page before `serve`
// when out/renderer has none (what `npm run build` would have left there).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out/cli/memlens.js');
const script = async (name) => import(pathToFileURL(join(root, 'scripts', name)).href);
const { WORKERS } = await script('workers.js');
if (!existsSync(cli) || Object.keys(WORKERS).some((name) => !existsSync(join(root, `out/cli/${name}.js`))))
  await (await script('build-cli.js')).buildCli();
const help = process.argv.includes('--help') || process.argv.includes('-h');
if (process.argv[2] === 'serve' && !help && !existsSync(join(root, 'out/renderer/index.html'))) {
  process.stderr.write('memlens serve: building the app page into out/renderer (first run)...\n');
  await (await script('build-renderer.js')).buildRenderer();
}
await import(pathToFileURL(cli).href);
