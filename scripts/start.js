// `npm start`: the desktop app through electron-vite. Electron fetches its binary on first run;
// where that cannot happen (no network), say so in one paragraph and point to the browser host.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const electron = dirname(createRequire(import.meta.url).resolve('electron/package.json'));

/** The Electron binary when it is on disk (as the electron package finds it), else undefined. */
function binary() {
  const pathFile = join(electron, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const path = override ? join(override, name ?? 'electron') : name && join(electron, 'dist', name);
  return path && existsSync(path) ? path : undefined;
}

// The electron package downloads a missing binary when required and prints the network error's
// stack when it cannot: download here instead, quietly, and explain a failure ourselves.
if (!binary() && !process.env.ELECTRON_OVERRIDE_DIST_PATH) {
  console.error('memlens: downloading the Electron binary (first run)...');
  spawnSync(process.execPath, [join(electron, 'install.js')], { stdio: 'ignore', timeout: 600_000 });
}
if (!binary()) {
  console.error(
    'memlens: the Electron binary is not installed and could not be fetched (offline?). Run the same\n' +
      'workbench in a browser instead: npx memlens serve   (it prints the URL to open)',
  );
  process.exit(1);
}
const r = spawnSync('npx', ['electron-vite', 'preview', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
