// The app's bundle (electron-vite build, no Electron binary needed): the engine finds its workers
// beside the module src/main/engine/workers.ts is bundled into (its import.meta.url), so that module
// must sit in the same folder as every worker scripts/workers.js lists. Rollup's default puts shared
// chunks in chunks/, where the engine found no worker and quietly ran views and training steps on
// one thread.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
// @ts-expect-error: a plain JS list without type declarations
import { WORKERS } from '../../scripts/workers.js';
import { ROOT } from '../support/cli.js';

const out = mkdtempSync(join(tmpdir(), 'memlens-app-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)],
  );
}

it('bundles every engine worker beside the module that looks for them', () => {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'electron-vite'), ['build', '--outDir', out, '--logLevel', 'error'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  const main = join(out, 'main');
  const finder = files(main).filter((f) => f.endsWith('.js') && readFileSync(f, 'utf8').includes('MEMLENS_WORKER_DIR'));
  expect(finder.map((f) => relative(main, f).split('/').length)).toEqual([1]);
  for (const name of Object.keys(WORKERS as Record<string, string>))
    expect(existsSync(join(main, `${name}.js`)), name).toBe(true);
}, 120_000);
