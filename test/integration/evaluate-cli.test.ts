// The evaluate / compare / demo verbs as a user runs them: exit codes, one-line errors, --json.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classFolders } from '../support/class-folders.js';
import { DEMO, memlens, ROOT } from '../support/cli.js';

const FIXTURES = join(ROOT, 'test', 'unit', 'evaluate', 'fixtures');
const TRAIN = join(DEMO, 'data', 'train-images-idx3-ubyte.gz');
const TEST = join(DEMO, 'data', 'test-images-idx3-ubyte.gz');

let dir: string;
let MODEL: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-evaluate-cli-'));
  // A copy, so the embeddings cache lands in the temp folder, not in the repository.
  MODEL = join(dir, 'linear-encoder.onnx');
  await copyFile(join(FIXTURES, 'linear-encoder.onnx'), MODEL);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Exit 1 with exactly one line on stderr that matches `message`. */
function expectBadInput(args: string[], message: RegExp): void {
  const r = memlens(args);
  expect(r.code).toBe(1);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('memlens'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe('memlens evaluate', () => {
  it('prints the accuracy, and the memlens.evaluate/1 document with --json', () => {
    const r = memlens([
      'evaluate',
      MODEL,
      '--train',
      TRAIN,
      '--test',
      TEST,
      '--limit',
      '200',
      '--probe',
      'knn',
      '--k',
      '10',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: 'memlens.evaluate/1', probe: 'knn', trainCount: 200, testCount: 200 });
    expect(doc.settings).toMatchObject({ k: 10, temperature: 0.07 });
    expect(doc.accuracy).toBeGreaterThan(0.3);
  });

  it('refuses a model whose output is not a vector per image', () => {
    expectBadInput(
      ['evaluate', join(FIXTURES, 'feature-map.onnx'), '--train', TRAIN, '--test', TEST, '--limit', '100'],
      /needs one vector per image/,
    );
  });

  it('refuses unlabelled training data and test classes absent from training', async () => {
    const flat = await classFolders(join(dir, 'flat'), { '': 2 });
    const train = await classFolders(join(dir, 'train'), { cat: 2, dog: 2 });
    const test = await classFolders(join(dir, 'test'), { cat: 1, owl: 1 });
    expectBadInput(['evaluate', MODEL, '--train', flat, '--test', test], /training data .* has no labels/);
    expectBadInput(
      ['evaluate', MODEL, '--train', train, '--test', test],
      /classes absent from the training data .*: owl$/,
    );
  });

  it('is a usage error (exit 2) without --test', () => {
    const r = memlens(['evaluate', MODEL, '--train', TRAIN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs one MODEL, --train D and --test D');
  });
});

describe('memlens compare', () => {
  it('refuses a ratio outside (0, 1)', () => {
    expectBadInput(
      [
        'compare',
        MODEL,
        '--data',
        TEST,
        '--train',
        TRAIN,
        '--test',
        TEST,
        '--strategies',
        'high',
        '--ratios',
        '1.2',
        '--out',
        join(dir, 'c'),
      ],
      /pruning ratios must be in \(0, 1\), got 1.2/,
    );
  });
});
