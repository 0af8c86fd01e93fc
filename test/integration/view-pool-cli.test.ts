// The CLI's view worker pool (docs/SCALE.md "Data pipeline"): `memlens unitmem` finds the worker
// bundled beside it (out/cli/view-worker.js), says how many it runs, and writes the same document
// as with the views cut on the main thread.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memlens } from '../support/cli.js';
import { missing } from '../support/references.js';
import { rgbImages } from '../support/rgb-images.js';
import { zooModel } from '../support/zoo.js';

const SKIP = missing('torch', 'torchvision', 'onnx');
let dir: string;
let model: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-viewpool-cli-'));
  if (SKIP) return;
  model = zooModel('resnet18');
  await rgbImages(join(dir, 'imgs'), 12, 96);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** unitmem on the 12 images with `workers` view workers: its stderr and document. */
function unitmem(workers: string): { stderr: string; doc: string } {
  const out = join(dir, `u${workers}.json`);
  // the CLI must find its own bundled worker, not the one the test setup built from the sources
  const built = process.env.MEMLENS_WORKER_DIR;
  delete process.env.MEMLENS_WORKER_DIR;
  process.env.MEMLENS_VIEW_WORKERS = workers;
  process.env.MEMLENS_NO_CACHE = '1';
  try {
    const r = memlens(['unitmem', model, '--data', join(dir, 'imgs'), '--views', '3', '--batch', '8', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    return { stderr: r.stderr, doc: readFileSync(out, 'utf8') };
  } finally {
    delete process.env.MEMLENS_VIEW_WORKERS;
    delete process.env.MEMLENS_NO_CACHE;
    if (built !== undefined) process.env.MEMLENS_WORKER_DIR = built;
  }
}

describe.skipIf(SKIP)('memlens unitmem with view workers', () => {
  it('3 workers write the document the main thread writes, and the CLI says where views were cut', () => {
    const pooled = unitmem('3');
    const main = unitmem('0');
    expect(pooled.stderr).toContain('views cut in 3 worker threads (MEMLENS_VIEW_WORKERS;');
    expect(main.stderr).toContain('views cut on the main thread (MEMLENS_VIEW_WORKERS;');
    expect(JSON.parse(pooled.doc).samples).toHaveLength(12);
    expect(pooled.doc).toBe(main.doc);
  });
});
