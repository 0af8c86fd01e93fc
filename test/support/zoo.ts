import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { PYTHON } from './references.js';

/** The torchvision encoders of scripts/zoo/make-zoo.py (seeded, 3x64x64 unless a size is given). */
export const ZOO = [
  'resnet18',
  'resnet50',
  'mobilenet_v2',
  'efficientnet_b0',
  'densenet121',
  'convnext_tiny',
  'vit_small',
] as const;
export type ZooName = (typeof ZOO)[number];

/**
 * Path of a zoo model, exported on first use into test-results/zoo (gitignored) and reused after.
 * Callers skip first with `missing('torch', 'torchvision')` from references.ts.
 */
export function zooModel(name: ZooName, size = 64): string {
  const dir = join(ROOT, 'test-results', 'zoo', String(size));
  const path = join(dir, `${name}.onnx`);
  if (!existsSync(path)) {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'zoo', 'make-zoo.py'), dir, name, '--size', String(size)], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`make-zoo.py ${name} failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  return path;
}
