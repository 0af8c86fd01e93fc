// Builds only the renderer (the app page) into out/renderer with the renderer section of
// electron.vite.config.ts, so `memlens serve` works on a fresh clone without `npm run build`.
import { resolveConfig } from 'electron-vite';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildRenderer() {
  // Vite logs to stdout, where `memlens serve` prints its URL first: warnings and errors only.
  const { config } = await resolveConfig({ root, logLevel: 'warn' }, 'build', 'production');
  await build(config.renderer);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildRenderer();
}
