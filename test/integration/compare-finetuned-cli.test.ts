// memlens compare --finetuned (issue 15, fine-tuned models in the comparison): `memlens finetune`
// exports a fine-tuned encoder of the demo CNN, and compare measures it as one more point, strategy
// finetuned, tested against the unpruned model; its re-measured UnitMem is `memlens unitmem` of the
// export. listFinetuneRuns finds the run beside the project; files that are not fine-tuned copies
// of the compared model are refused in one line.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult, FinetuneResult, UnitMemResult } from '../../src/shared/api.js';
import { openSavedSweep } from '../../src/main/engine/evaluate/saved-sweep.js';
import { listFinetuneRuns } from '../../src/main/engine/finetune/runs.js';
import { DEMO, memlens, type CliRun } from '../support/cli.js';
import { demoCompareArgs } from '../support/compare-args.js';
import { demoData as data, smallFinetune } from '../support/finetune-run.js';

// Small: 100 images per set, 2 views; the demo's normalization passed explicitly.
const NORMALIZATION = ['--mean', '0.286', '--std', '0.353'];
const SETTINGS = ['--limit', '100', ...NORMALIZATION];

let dir: string;
let run: FinetuneResult;
const at = (name: string) => join(dir, name);

function ok(r: CliRun): CliRun {
  if (r.code !== 0) throw new Error(`memlens failed (${r.code}): ${r.stderr}`);
  return r;
}

const finetune = (model: string, out: string) => ok(smallFinetune(at(model), at(out), NORMALIZATION));

const compare = (out: string, finetuned: string[]) =>
  memlens(
    demoCompareArgs({
      model: at('ssl-cnn-f.onnx'),
      reference: at('ssl-cnn-g.onnx'),
      strategies: 'high',
      seeds: '0',
      extra: finetuned.flatMap((f) => ['--finetuned', f]),
      out: at(out),
    }),
  );

const lines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('memlens'));

beforeAll(async () => {
  // Copies, so caches and runs land in the temp folder.
  dir = await mkdtemp(join(tmpdir(), 'memlens-compare-ft-'));
  for (const m of ['ssl-cnn-f', 'ssl-cnn-g']) await copyFile(join(DEMO, `${m}.onnx`), at(`${m}.onnx`));
  finetune('ssl-cnn-f.onnx', 'f-tuned.onnx');
  // A run of another model, which compare refuses and the listing flags.
  finetune('ssl-cnn-g.onnx', 'g-tuned.onnx');
  run = JSON.parse(await readFile(at('f-tuned.finetune.json'), 'utf8'));
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('memlens compare --finetuned', () => {
  let doc: CompareResult;

  it('adds the fine-tuned encoder as a point with intervals, and tests it against none', async () => {
    // The run file and the ONNX it exported name one encoder: one point.
    const r = compare('ok', [at('f-tuned.finetune.json'), at('f-tuned.onnx')]);
    expect(lines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    doc = JSON.parse(await readFile(at('ok/compare.json'), 'utf8'));
    expect(doc.points.map((p) => p.strategy)).toEqual(['none', 'finetuned', 'high']);
    const [none, tuned] = doc.points;
    expect(tuned.finetuned).toEqual({ path: at('f-tuned.onnx'), sha256: expect.any(String), layers: run.layers });
    expect(doc.settings.finetuned).toEqual([at('f-tuned.onnx')]);
    expect([tuned.scope, tuned.ratio, tuned.seeds]).toEqual(['layer', 0, [0]]);
    const [lo, hi] = tuned.accuracy.ci95!;
    expect(lo).toBeLessThanOrEqual(tuned.accuracy.mean);
    expect(tuned.accuracy.mean).toBeLessThanOrEqual(hi);
    expect(tuned.accuracy.perSeed).toEqual([tuned.accuracy.mean]);
    const ssl = tuned.memorization.sslmem!;
    expect(ssl.gap).toBeCloseTo(ssl.candidates - ssl.control, 12);
    expect(ssl.ci95![0]).toBeLessThanOrEqual(ssl.gap);
    expect(ssl.gap).toBeLessThanOrEqual(ssl.ci95![1]);
    // Fine-tuning changes weights, not shapes.
    expect([tuned.params, tuned.flops]).toEqual([none.params, none.flops]);

    const tests = doc.tests.filter((t) => t.a === 'finetuned');
    expect(tests.map((t) => [t.b, t.finetuned, t.metric])).toEqual([
      ['none', at('f-tuned.onnx'), 'accuracy'],
      ['none', at('f-tuned.onnx'), 'sslmemGap'],
    ]);
    // Paired on the same test images and points: the mean difference is the difference of means.
    expect(tests[0].difference).toBeCloseTo(tuned.accuracy.mean - none.accuracy.mean, 12);
    expect(tests[1].difference).toBeCloseTo(ssl.gap - none.memorization.sslmem!.gap, 12);
    for (const t of tests) {
      expect(t.ci95[0]).toBeLessThanOrEqual(t.difference);
      expect(t.difference).toBeLessThanOrEqual(t.ci95[1]);
      expect(t.pValue).toBeGreaterThan(0);
      expect(t.pValue).toBeLessThanOrEqual(1);
    }
    expect(r.stdout).toMatch(/^ {2}finetuned f-tuned\.onnx +acc \d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\] .*SSLMem gap /m);
    expect(r.stdout).toMatch(
      /^ {2}finetuned f-tuned\.onnx vs none, unpruned, accuracy: .* points, p .*, (higher|lower|not significant)$/m,
    );
  }, 300_000);

  it('its re-measured UnitMem is `memlens unitmem` of the fine-tuned model', async () => {
    ok(
      memlens([
        'unitmem',
        at('f-tuned.onnx'),
        '--data',
        data('candidates'),
        '--views',
        '2',
        ...SETTINGS,
        '--json',
        '--out',
        at('tuned-unitmem.json'),
      ]),
    );
    const u: UnitMemResult = JSON.parse(await readFile(at('tuned-unitmem.json'), 'utf8'));
    const live = u.layers.map((l) => l.unitmem.filter((_, k) => l.muMax[k] !== 0));
    const all = live.flat();
    const tuned = doc.points.find((p) => p.strategy === 'finetuned')!.memorization.unitmem;
    expect(tuned.measured).toBe(true);
    expect(tuned.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
    expect(tuned.layers!.map((l) => [l.name, l.units])).toEqual(u.layers.map((l, i) => [l.name, live[i].length]));
  }, 300_000);

  it('the saved sweep reopens, and the CSV and the report carry the point', async () => {
    expect(await openSavedSweep(at('ok'))).toEqual(doc);
    const csv = (await readFile(at('ok/compare.csv'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const [strategy, model, acc] = ['strategy', 'finetuned', 'accuracy'].map((c) => csv[0].indexOf(c));
    const row = csv.find((r) => r[strategy] === 'finetuned')!;
    expect(row[model]).toBe(at('f-tuned.onnx'));
    expect(Number(row[acc])).toBe(doc.points[1].accuracy.mean);
    const html = await readFile(at('ok/report.html'), 'utf8');
    expect(html).toContain('<td>finetuned f-tuned.onnx</td>');
    expect(html).toContain('<td>finetuned f-tuned.onnx vs none</td>');
  });

  it("listFinetuneRuns finds the run beside the project, and flags another model's run", async () => {
    const project = at('ft.memlens.json');
    await writeFile(
      project,
      JSON.stringify({
        schema: 'memlens.project/1',
        name: 'fine-tune runs',
        model: 'ssl-cnn-f.onnx',
        data: { candidates: data('candidates'), train: data('train'), test: data('test') },
        normalization: { mean: [0.286], std: [0.353] },
      }),
    );
    const runs = await listFinetuneRuns(project);
    const f = runs.find((r) => r.path === at('f-tuned.finetune.json'))!;
    expect(f).toMatchObject({
      model: at('f-tuned.onnx'),
      layers: run.layers,
      epochs: 1,
      baseline: run.baseline.accuracy,
      finetuned: run.finetuned.accuracy,
    });
    expect(f.error).toBeUndefined();
    const g = runs.find((r) => r.path === at('g-tuned.finetune.json'))!;
    expect(g.error).toBe(`fine-tuned from another model than ${at('ssl-cnn-f.onnx')}`);
  }, 300_000);

  it('refuses what is not a fine-tuned copy of the model: exit 1, one line', async () => {
    const refused = (f: string) => {
      const r = compare('bad', [f]);
      expect(r.code).toBe(1);
      return lines(r.stderr);
    };
    expect(refused(at('ssl-cnn-g.onnx'))).toEqual([
      `memlens compare: ${at('ssl-cnn-g.onnx')} is not a fine-tuned encoder: it has no memlens.finetune.layers provenance (memlens finetune --out writes it)`,
    ]);
    expect(refused(at('g-tuned.onnx'))).toEqual([
      `memlens compare: ${at('g-tuned.onnx')} was not fine-tuned from ${at('ssl-cnn-f.onnx')} (its sha256 differs)`,
    ]);
    expect(refused(at('none.finetune.json'))).toEqual([
      `memlens compare: fine-tune run ${at('none.finetune.json')} does not exist`,
    ]);
  }, 300_000);
});
