// `npm start`: the desktop app through electron-vite. Electron fetches its binary on first run;
// where that cannot happen (no network), say so and point to the browser host instead.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let binary;
try {
  binary = require('electron'); // the path of the Electron binary; throws when it was never downloaded
} catch (e) {
  binary = undefined;
}
if (!binary) {
  console.error(
    'memlens: the Electron binary is not installed and could not be fetched (offline?).\n' +
      'Run the same workbench in a browser instead: npm run serve   (or: npx memlens serve)',
  );
  process.exit(1);
}
const r = spawnSync('npx', ['electron-vite', 'preview', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
