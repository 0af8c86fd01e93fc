// Starts `memlens serve` (the built CLI) and Debian's chromium for the e2e tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../support/cli.js';
import { firstLine } from '../support/wait.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Workbench {
  url: string;
  page: Page;
  /** A scratch folder for the test's files. */
  dir: string;
  close(): Promise<void>;
}

/** Serves the workbench with fresh state (so the demo opens as on a first run) and opens it. */
export async function openWorkbench(): Promise<Workbench> {
  // The CLI bundle must match the tree (npm run test:e2e builds the app, not the CLI).
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.js')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the CLI failed');
  const dir = mkdtempSync(join(tmpdir(), 'memlens-e2e-'));
  const server = spawn(
    process.execPath,
    // The tests write their outputs (pruned models, sweeps, exports, new projects) in the scratch folder.
    [join(ROOT, 'bin', 'memlens.js'), 'serve', '--state-dir', join(dir, 'state'), '--allow-write', dir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Building the app page on a first run takes ~20 s; two minutes is far beyond it.
  const url = await firstLine(server, 120_000, 'memlens serve');
  const context: BrowserContext = await chromium.launchPersistentContext(join(dir, 'chromium'), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  return {
    url,
    page,
    dir,
    async close() {
      await context.close();
      server.kill('SIGTERM');
    },
  };
}
