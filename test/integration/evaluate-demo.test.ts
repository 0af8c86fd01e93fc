// The probe on the demo project (resources/demo) against scikit-learn; `memlens demo` is tested in
// compare-cli.test.ts.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO, memlens, ROOT } from '../support/cli.js';

// scikit-learn's logistic regression on the same features (scripts/reference-probe.py; see `generator`).
const ref = JSON.parse(readFileSync(join(ROOT, 'test/unit/evaluate/fixtures/demo-reference.json'), 'utf8'));

describe('demo project', () => {
  it('linear probe on the SSL CNN embeddings is within 1 point of scikit-learn', () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(ROOT, ref.model)))
      .digest('hex');
    // A retrained demo model needs a new reference: rerun the fixture's generator command.
    expect(sha, `${ref.model} changed since demo-reference.json was made`).toBe(ref.sha256);
    const r = memlens([
      'evaluate',
      join(ROOT, ref.model),
      '--train',
      join(DEMO, 'data/train-images-idx3-ubyte.gz'),
      '--test',
      join(DEMO, 'data/test-images-idx3-ubyte.gz'),
      '--mean',
      String(ref.mean),
      '--std',
      String(ref.std),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect([doc.trainCount, doc.testCount]).toEqual([ref.reference.train, ref.reference.test]);
    expect(Math.abs(doc.accuracy - ref.reference.accuracy)).toBeLessThanOrEqual(0.01);
  });
});
