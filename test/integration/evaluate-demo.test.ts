// The probe and the paper experiment on the demo project (resources/demo), against independent numbers.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO, memlens, ROOT } from '../support/cli.js';

// scikit-learn's logistic regression on the same features (scripts/reference-probe.py; see `generator`).
const ref = JSON.parse(readFileSync(join(ROOT, 'test/unit/evaluate/fixtures/demo-reference.json'), 'utf8'));

describe('demo project', () => {
  it('linear probe on the SSL CNN embeddings is within 1 point of scikit-learn', () => {
    const sha = createHash('sha256').update(readFileSync(join(ROOT, ref.model))).digest('hex');
    // A retrained demo model needs a new reference: rerun the fixture's generator command.
    expect(sha, `${ref.model} changed since demo-reference.json was made`).toBe(ref.sha256);
    const r = memlens([
      'evaluate', join(ROOT, ref.model),
      '--train', join(DEMO, 'data/train-images-idx3-ubyte.gz'),
      '--test', join(DEMO, 'data/test-images-idx3-ubyte.gz'),
      '--mean', String(ref.mean), '--std', String(ref.std), '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect([doc.trainCount, doc.testCount]).toEqual([ref.reference.train, ref.reference.test]);
    expect(Math.abs(doc.accuracy - ref.reference.accuracy)).toBeLessThanOrEqual(0.01);
  });

  it('memlens demo prints the paper-style table', () => {
    // 500 train/test images instead of 2000/1000: the same path at a third of the time on 2 cores.
    const r = memlens(['demo', '--limit', '500'], { timeout: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^pruned units\s+per layer 10%\s+per layer 20%\s+global 10%$/);
    const row = (label: string) => lines.find((l) => l.startsWith(label)) ?? '';
    // none: one accuracy repeated; deterministic strategies: one number per column; random: mean ± std.
    expect(row('none')).toMatch(/^none\s+(\d+\.\d\d)\s+\1\s+\1$/);
    expect(row('highest UnitMem')).toMatch(/^highest UnitMem(\s+\d+\.\d\d){3}$/);
    expect(row('random')).toMatch(/^random(\s+\d+\.\d\d ± \d+\.\d\d){3}$/);
    expect(row('lowest UnitMem')).toMatch(/^lowest UnitMem(\s+\d+\.\d\d){3}$/);
    expect(r.stdout).toMatch(/^ordering low > random > high: per layer 10%: (holds|does not hold); per layer 20%: .*; global 10%: .*$/m);
  }, 600_000);
});
