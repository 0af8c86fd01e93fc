// Vitest global setup: the engine run from its sources has no bundled worker beside it, so build
// the workers (scripts/workers.js) into out/test-workers and point the engine at them.
import { join } from 'node:path';
// @ts-expect-error: a plain JS build script without type declarations
import { bundleWorkers } from '../../scripts/build-cli.js';

export default async function setup(): Promise<void> {
  const dir = join(import.meta.dirname, '..', '..', 'out', 'test-workers');
  await bundleWorkers(dir);
  process.env.MEMLENS_WORKER_DIR = dir;
}
