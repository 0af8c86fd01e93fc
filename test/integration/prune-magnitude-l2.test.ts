// magnitude-l2 (one entry in src/shared/strategies.ts): the units it selects on the demo CNN are the
// ones numpy ranks first by the L2 norm of each output channel's weights, read from the file by onnx.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { PruneResult } from '../../src/shared/api.js';
import { pruneModel } from '../../src/main/engine/prune/export.js';
import { memlens, ROOT } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';

const MODEL = join(ROOT, 'resources', 'demo', 'ssl-cnn-f.onnx');
const RATIO = 0.25;

/** Per Conv: the floor(RATIO * channels) output channels of smallest L2 (and L1) norm, ties by index. */
function numpySmallest(p: number): Record<string, number[]> {
  const script = `
import json, sys, onnx, numpy as np
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
out = {}
for n in m.graph.node:
    if n.op_type != 'Conv':
        continue
    k = w[n.input[1]].reshape(w[n.input[1]].shape[0], -1).astype(np.float64)
    norm = np.linalg.norm(k, ord=${p}, axis=1)
    out[n.name] = sorted(np.argsort(norm, kind='stable')[: int(${RATIO} * len(norm))].tolist())
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, MODEL], { encoding: 'utf8' }));
}

describe('magnitude-l2', () => {
  test.skipIf(missing('onnx', 'numpy'))(
    'selects the smallest-L2-norm channels of every layer, as numpy ranks them',
    async () => {
      // Each layer ranked on its own (coupling intersection): numpy ranks each Conv alone.
      const result = await pruneModel({
        model: MODEL,
        strategy: 'magnitude-l2',
        ratio: RATIO,
        scope: 'layer',
        mode: 'mask',
        coupling: 'intersection',
      });
      const l2 = numpySmallest(2);
      expect(Object.keys(l2)).toHaveLength(8);
      expect(result.removed).toEqual(l2);
      // A ranking of its own: somewhere it picks other channels than the L1 norm does.
      expect(numpySmallest(1)).not.toEqual(l2);
      expect(result.settings.strategy).toBe('magnitude-l2');
    },
  );

  test('the CLI offers it and runs it without UnitMem scores, globally too', () => {
    const r = memlens([
      'prune',
      MODEL,
      '--strategy',
      'magnitude-l2',
      '--ratio',
      String(RATIO),
      '--scope',
      'global',
      '--mode',
      'mask',
      '--coupling',
      'intersection',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as PruneResult;
    // The demo CNN's 8 Convs have 560 output channels in all: floor(0.25 * 560) go.
    expect(Object.values(doc.removed).flat()).toHaveLength(140);
    expect(memlens(['prune', '--help']).stdout).toContain('magnitude-l2');
  });
});
