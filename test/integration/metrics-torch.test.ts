// UnitMem on a real encoder against an independent implementation: PyTorch eager running the same
// ONNX weights node by node (scripts/bench/unitmem-torch.py), un-augmented candidates so both sides
// see identical inputs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UnitMemResult } from '../../src/shared/api.js';
import { DEMO, memlens, ROOT } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';

const F = join(DEMO, 'ssl-cnn-f.onnx');
const CANDIDATES = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');

describe.skipIf(missing('torch', 'onnx', 'numpy'))('UnitMem vs PyTorch eager on the demo SSL CNN', () => {
  it('matches per unit within 1e-4 (augment none, rest mean)', () => {
    const r = memlens(['unitmem', F, '--data', CANDIDATES, '--augment', 'none', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as UnitMemResult;
    const s = doc.settings as { mean: number[]; std: number[] };
    const py = spawnSync(
      PYTHON,
      [
        join(ROOT, 'scripts/bench/unitmem-torch.py'),
        ...['--model', F, '--images', CANDIDATES, '--taps', doc.layers.map((l) => l.tensor).join(',')],
        ...['--samples', String(doc.samples.length), '--views', '1', '--augment', 'none', '--dump'],
        ...['--mean', String(s.mean[0]), '--std', String(s.std[0]), '--threads', '1'],
      ],
      { encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as { unitmem: number[][] };
    expect(ref.unitmem).toHaveLength(doc.layers.length);
    doc.layers.forEach((l, i) => {
      expect(l.unitmem).toHaveLength(ref.unitmem[i].length);
      l.unitmem.forEach((u, k) => expect(Math.abs(u - ref.unitmem[i][k])).toBeLessThan(1e-4));
    });
  });
});
