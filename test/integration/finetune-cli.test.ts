// memlens finetune through the CLI on the demo project (issue 7, "Done when"): the auto-selected
// layers (highest DeltaLayerMem) plus head beat the head alone; last:K with the same K and epochs
// is run beside it for comparison. Bad input exits 1 with one line, usage errors exit 2.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FinetuneResult } from '../../src/shared/api.js';
import { DEMO, memlens } from '../support/cli.js';

const F = join(DEMO, 'ssl-cnn-f.onnx');
const G = join(DEMO, 'ssl-cnn-g.onnx');
const TRAIN = join(DEMO, 'data', 'train-images-idx3-ubyte.gz');
const TEST = join(DEMO, 'data', 'test-images-idx3-ubyte.gz');
const EPOCHS = '2';

function finetune(layers: string[]): FinetuneResult {
  const r = memlens(['finetune', F, '--train', TRAIN, '--test', TEST, ...layers, '--epochs', EPOCHS, '--json'], {
    timeout: 600_000,
  });
  if (r.code !== 0) throw new Error(`memlens finetune failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as FinetuneResult;
}

describe.skipIf(!existsSync(F))('memlens finetune on the demo CNN', () => {
  // K = 4: on the demo CNN the top three DeltaLayerMem convs are the last three, so auto:3 = last:3.
  it('auto (DeltaLayerMem) layers + head beat head only; last:K on the same K for comparison', () => {
    const auto = finetune(['--layers', 'auto:4', '--reference', G]);
    const last = finetune(['--layers', 'last:4']);
    console.log(
      `head only ${auto.baseline.accuracy}, auto ${auto.layers.join(',')} ${auto.finetuned.accuracy}, last:${auto.layers.length} ${last.layers.join(',')} ${last.finetuned.accuracy}`,
    );
    expect(auto.layers).toHaveLength(4);
    expect(auto.finetuned.accuracy).toBeGreaterThan(auto.baseline.accuracy);
    // Same seed, head initialization and batches: the head-only baseline does not depend on --layers.
    expect(last.baseline.accuracy).toBeCloseTo(auto.baseline.accuracy, 2);
  }, 900_000);

  it('an unknown layer is bad input: exit 1, one line naming it', () => {
    const r = memlens(['finetune', F, '--train', TRAIN, '--test', TEST, '--layers', 'no_such_layer']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown layer 'no_such_layer'");
  });
});

describe('memlens finetune usage', () => {
  it('missing --layers is a usage error (exit 2)', () => {
    const r = memlens(['finetune', 'm.onnx', '--train', 'a', '--test', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs MODEL --train D --test D --layers');
  });
});
