// What a newcomer runs on a fresh clone (README "Set up"): `npx memlens serve` answers the app page
// without `npm run build` having run, and `npm start` without an Electron binary explains itself in
// one paragraph. The clone shares this checkout's node_modules (what `npm ci` would install).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { firstLine, within } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'memlens-fresh-clone-'));
const clone = join(dir, 'clone');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const r = spawnSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  expect(existsSync(join(clone, 'out'))).toBe(false);
}, 120_000);

describe('a fresh clone', () => {
  it('memlens serve builds the app page on first run and answers it with 200', async () => {
    const server = spawn(
      process.execPath,
      [join(clone, 'bin', 'memlens.js'), 'serve', '--state-dir', join(dir, 'state')],
      {
        cwd: clone,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = await firstLine(server, 180_000, 'memlens serve');
      expect(url, stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+$/);
      const page = await within(fetch(url), 30_000, 'answer for the app page');
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="app"><\/div>/);
      expect(stderr).toBe('memlens serve: building the app page into out/renderer (first run)...\n');
    } finally {
      server.kill('SIGTERM');
    }
  }, 240_000);

  it('npm start without an Electron binary prints one paragraph and no stack', () => {
    // An Electron package whose binary was never downloaded, as on an offline machine.
    const r = spawnSync(process.execPath, [join(clone, 'scripts', 'start.js')], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron') },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
    expect(r.stderr.trim().split('\n\n')).toHaveLength(1);
    expect(r.stderr).toContain('npx memlens serve');
  });
});
