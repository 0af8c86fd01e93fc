// memlens compare --reference: LayerMem of the embedding per sweep point, and a one-line error
// when the reference's embedding is not the model's.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSavedSweep } from '../../src/main/engine/evaluate/saved-sweep.js';
import { DEMO, memlens } from '../support/cli.js';

const data = (name: string) => join(DEMO, 'data', `${name}-images-idx3-ubyte.gz`);

let dir: string;
beforeAll(async () => {
  // Copies, so caches land in the temp folder; the demo's normalization is passed explicitly.
  dir = await mkdtemp(join(tmpdir(), 'memlens-compare-cli-'));
  for (const m of ['ssl-cnn-f', 'ssl-cnn-g', 'ssl-vit-g']) await copyFile(join(DEMO, `${m}.onnx`), join(dir, `${m}.onnx`));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const args = (reference: string, out: string) => [
  'compare', join(dir, 'ssl-cnn-f.onnx'), '--reference', join(dir, reference),
  '--data', data('candidates'), '--train', data('train'), '--test', data('test'),
  '--strategies', 'high,low', '--ratios', '0.2', '--views', '2', '--limit', '200', '--mean', '0.286', '--std', '0.353', '--out', join(dir, out),
];

describe('memlens compare --reference', () => {
  it('prints and writes LayerMem of the embedding for every point', async () => {
    const r = memlens(args('ssl-cnn-g.onnx', 'ok'));
    expect(r.code).toBe(0);
    const printed = [...r.stdout.matchAll(/^\s+(none|high|low)\b.*LayerMem (-?\d\.\d{4})/gm)].map((m) => [m[1], Number(m[2])]);
    expect(printed.map((p) => p[0])).toEqual(['none', 'high', 'low']);
    const csv = (await readFile(join(dir, 'ok', 'compare.csv'), 'utf8')).trim().split('\n').map((l) => l.split(','));
    const col = csv[0].indexOf('layerMem');
    // The printed figures are the CSV's, rounded.
    csv.slice(1).forEach((row, i) => expect(Number(row[col])).toBeCloseTo(printed[i][1] as number, 4));
  });

  it('the folder it wrote opens as a saved sweep (the Compare screen), with the CSV\'s figures', async () => {
    const saved = await openSavedSweep(join(dir, 'ok'));
    const csv = (await readFile(join(dir, 'ok', 'compare.csv'), 'utf8')).trim().split('\n').map((l) => l.split(','));
    const [acc, lm] = ['accuracy', 'layerMem'].map((c) => csv[0].indexOf(c));
    expect(saved.points.map((p) => p.strategy)).toEqual(['none', 'high', 'low']);
    saved.points.forEach((p, i) => {
      expect(p.accuracy).toBe(Number(csv[i + 1][acc]));
      expect(p.layerMem).toBe(Number(csv[i + 1][lm]));
    });
    expect(saved.model.path).toBe(join(dir, 'ssl-cnn-f.onnx'));
  });

  it('refuses a reference with another embedding: exit 1, one line', () => {
    const r = memlens(args('ssl-vit-g.onnx', 'bad'));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('memlens'));
    expect(lines).toEqual([expect.stringMatching(/^memlens compare: LayerMem compares one embedding: .*ssl-cnn-f\.onnx ends in pool .*\(128 units\), reference .*ssl-vit-g\.onnx in .*\(64 units\)$/)]);
  });
});
