#!/usr/bin/env node
// Runs the built CLI; builds it first when missing (a fresh clone after `npm ci`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out/cli/memlens.js');
if (!existsSync(cli)) {
  const { buildCli } = await import(pathToFileURL(join(root, 'scripts/build-cli.js')).href);
  await buildCli();
}
await import(pathToFileURL(cli).href);
