// memlens compare --reference --control: memlens.compare/2 from the CLI, UnitMem re-measured on the
// pruned encoders as `memlens unitmem` measures their exports, and one-line refusals.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult, UnitMemResult } from '../../src/shared/api.js';
import { openSavedSweep } from '../../src/main/engine/evaluate/saved-sweep.js';
import { DEMO, memlens } from '../support/cli.js';
import { demoCompareArgs } from '../support/compare-args.js';

const data = (name: string) => join(DEMO, 'data', `${name}-images-idx3-ubyte.gz`);
const SETTINGS = ['--views', '2', '--limit', '100', '--mean', '0.286', '--std', '0.353'];

let dir: string;
beforeAll(async () => {
  // Copies, so caches land in the temp folder; the demo's normalization is passed explicitly.
  dir = await mkdtemp(join(tmpdir(), 'memlens-compare-cli-'));
  for (const m of ['ssl-cnn-f', 'ssl-cnn-g', 'ssl-vit-g'])
    await copyFile(join(DEMO, `${m}.onnx`), join(dir, `${m}.onnx`));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const args = (reference: string, out: string, control?: string[]) =>
  demoCompareArgs({
    model: join(dir, 'ssl-cnn-f.onnx'),
    reference: join(dir, reference),
    control,
    strategies: 'high,random',
    seeds: '0,1',
    out: join(dir, out),
  });

describe('memlens compare --reference --control', () => {
  let doc: CompareResult;

  it('prints accuracy with its interval, the SSLMem gap and the tests, and writes memlens.compare/2', async () => {
    const r = memlens(args('ssl-cnn-g.onnx', 'ok'));
    expect(r.stderr.split('\n').filter((l) => l.startsWith('memlens'))).toEqual([]);
    expect(r.code).toBe(0);
    doc = JSON.parse(await readFile(join(dir, 'ok', 'compare.json'), 'utf8'));
    expect(doc.schema).toBe('memlens.compare/2');
    const printed = [
      ...r.stdout.matchAll(
        /^\s+(none|high|random)\b.* acc (\d+\.\d\d) \[(\d+\.\d\d), (\d+\.\d\d)\].*SSLMem gap ([-+]\d\.\d{4})/gm,
      ),
    ];
    expect(printed.map((m) => m[1])).toEqual(['none', 'high', 'random']);
    // The printed figures are the document's, rounded.
    printed.forEach((m, i) => {
      const p = doc.points[i];
      expect([Number(m[2]), Number(m[3]), Number(m[4])]).toEqual(
        [p.accuracy.mean, ...p.accuracy.ci95!].map((v) => Number((100 * v).toFixed(2))),
      );
      expect(Number(m[5])).toBeCloseTo(p.memorization.sslmem!.gap, 4);
    });
    expect(r.stdout).toMatch(
      /^ {2}high vs random, layer 20%, accuracy: .* points, p .*, (higher|lower|not significant)$/m,
    );
    expect(r.stdout).toMatch(/^ {2}high vs random, layer 20%, SSLMem gap: .*, p .*, (higher|lower|not significant)$/m);
    expect(r.stdout).toMatch(/^probe: linear, /m);
    expect(r.stdout).toMatch(
      /2 views per point; SSLMem against .*ssl-cnn-g\.onnx, control .*control-images-idx3-ubyte\.gz$/m,
    );
  });

  it('re-measured UnitMem of a pruned point is `memlens unitmem` of its exported model', async () => {
    const pruned = join(dir, 'ok', 'models', 'high-layer-0.2-seed0.onnx');
    const r = memlens([
      'unitmem',
      pruned,
      '--data',
      data('candidates'),
      ...SETTINGS,
      '--json',
      '--out',
      join(dir, 'pruned-unitmem.json'),
    ]);
    expect(r.code).toBe(0);
    const u: UnitMemResult = JSON.parse(await readFile(join(dir, 'pruned-unitmem.json'), 'utf8'));
    const live = u.layers.map((l) => l.unitmem.filter((_, k) => l.muMax[k] !== 0));
    const all = live.flat();
    const high = doc.points.find((p) => p.strategy === 'high')!.memorization.unitmem;
    expect(high.measured).toBe(true);
    expect(high.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
    expect(high.layers!.map((l) => [l.name, l.units])).toEqual(u.layers.map((l, i) => [l.name, live[i].length]));
  });

  it("the folder it wrote opens as a saved sweep (the Compare screen), with the CSV's figures", async () => {
    const saved = await openSavedSweep(join(dir, 'ok'));
    expect(saved).toEqual(doc);
    const csv = (await readFile(join(dir, 'ok', 'compare.csv'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const [acc, gap] = ['accuracy', 'sslmemGap'].map((c) => csv[0].indexOf(c));
    saved.points.forEach((p, i) => {
      expect(p.accuracy.mean).toBe(Number(csv[i + 1][acc]));
      expect(p.memorization.sslmem!.gap).toBe(Number(csv[i + 1][gap]));
    });
  });

  it('refuses a reference without a control set: exit 1, one line', () => {
    const r = memlens(args('ssl-cnn-g.onnx', 'nocontrol', []));
    expect(r.code).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('memlens')),
    ).toEqual([
      'memlens compare: the SSLMem gap needs a control set, points f and the reference both trained on: give --control D (or data.control in the project)',
    ]);
  });

  it('refuses a reference with another embedding: exit 1, one line', () => {
    const r = memlens(args('ssl-vit-g.onnx', 'bad'));
    expect(r.code).toBe(1);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('memlens'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^memlens compare: LayerMem compares one embedding: .*ssl-cnn-f\.onnx ends in pool .*\(128 units\), reference .*ssl-vit-g\.onnx in .*\(64 units\)$/,
      ),
    ]);
  });
});

describe('memlens demo', () => {
  it("prints the paper's table with intervals, the SSLMem gaps and a verdict per claim and cell", () => {
    // Small: 100 images per set, 2 views, one seed.
    const r = memlens(['demo', '--limit', '100', '--views', '2', '--seeds', '0']);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('memlens'))).toEqual([]);
    expect(r.code).toBe(0);
    const interval = String.raw`\d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\]`;
    for (const row of ['none', 'highest UnitMem', 'random', 'lowest UnitMem']) {
      expect(r.stdout).toMatch(new RegExp(`^${row} +${interval} +${interval} +${interval}$`, 'm'));
    }
    expect(r.stdout).toMatch(/^SSLMem gap at the embedding \(candidates minus control\)/m);
    const claims = [
      ...r.stdout.matchAll(
        /^ {2}(holds|reversed|not significant) +(highest|lowest) UnitMem pruned: (lower|higher) accuracy than random, (per layer 10%|per layer 20%|global 10%): (high|low) - random -?\d+\.\d\d \[.*\] points, p [<\d. ]+$/gm,
      ),
    ];
    // Two claims in each of the three cells.
    expect(claims).toHaveLength(6);
  }, 600_000);
});
