// The metric verbs' CLI contract: documents on --json/--out, CSV on --csv, and one-line errors with
// exit 1 for bad input (no output file left behind).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, memlens, ROOT } from '../support/cli.js';
import { within } from '../support/wait.js';
import { writeConvModel, writeGray } from '../unit/infer/tiny-models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-metrics-cli-'));
  await writeConvModel(join(dir, 'enc.onnx'), [1, -1], [0, 1], { relu: true });
  await writeConvModel(join(dir, 'wide.onnx'), [1, 1, 1], [0, 0, 0]);
  for (const [k, p] of [255, 153, 51, 0].entries()) await writeGray(join(dir, 'imgs', `${k}.png`), [p, p, p, p]);
  await writeFile(join(dir, 'imgs', 'broken.png'), 'not a png');
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'empty', 'notes.txt'), 'no images here');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const one = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => !l.endsWith('...'))
    .join('\n');

describe('memlens unitmem / classmem / layermem', () => {
  it('unitmem --json --csv: the document, undecodable files skipped and listed, a CSV row per unit', () => {
    const csv = join(dir, 'u.csv');
    const r = memlens([
      'unitmem',
      join(dir, 'enc.onnx'),
      '--data',
      join(dir, 'imgs'),
      '--augment',
      'none',
      '--mean',
      '0',
      '--std',
      '1',
      '--json',
      '--csv',
      csv,
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('memlens.unitmem/1');
    // what it picked, before the run (docs/SCALE.md): the batch from the memory budget, the view workers
    const lines = r.stderr.split('\n');
    const picked = /^batch (\d+) images \(auto: \d+ MiB budget, ~[\d.]+ MiB per image; --batch N to override\)$/.exec(
      lines[0],
    );
    expect(Number(picked?.[1])).toBe(doc.settings.batch);
    expect(lines[1]).toMatch(/^views cut (in \d+ worker threads? \(auto: \d+ cores|on the main thread \(auto)/);
    expect(doc.samples).toEqual(['0.png', '1.png', '2.png', '3.png']);
    expect(doc.skipped.map((s: { id: string }) => s.id)).toEqual(['broken.png']);
    // unit 0 = pixel value: 1, .6, .2, 0 -> max 1 (0.png), rest .8/3
    expect(doc.layers[0].argmaxSample[0]).toBe(0);
    expect(doc.layers[0].unitmem[0]).toBeCloseTo((1 - 0.8 / 3) / (1 + 0.8 / 3), 5);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('layer,kind,unit,unitmem,mu_max,mu_rest,argmax_sample,top_samples');
    expect(rows).toHaveLength(3);
    // top samples of unit 0 by pixel value 1, .6, .2, 0
    expect(rows[1]).toMatch(/,0,0\.[0-9]+,1,0\.26666[0-9]*,0\.png,0\.png;1\.png;2\.png;3\.png$/);
  });

  it('unitmem --top K keeps the K highest-mu samples per unit; a bad K is exit 1', () => {
    const args = [
      'unitmem',
      join(dir, 'enc.onnx'),
      '--data',
      join(dir, 'imgs'),
      '--augment',
      'none',
      '--mean',
      '0',
      '--std',
      '1',
      '--json',
    ];
    const r = memlens([...args, '--top', '2']);
    expect(r.code).toBe(0);
    // unit 0 = pixel value: 1 (0.png), .6 (1.png), .2, 0
    expect(JSON.parse(r.stdout).layers[0].top[0]).toEqual([0, 1]);
    const bad = memlens([...args, '--top', '0']);
    expect(bad.code).toBe(1);
    expect(one(bad.stderr)).toMatch(/top must be a positive integer, got 0$/);
  });

  it('a folder without images: exit 1, one line naming it', () => {
    const r = memlens(['unitmem', join(dir, 'enc.onnx'), '--data', join(dir, 'empty')]);
    expect(r.code).toBe(1);
    expect(one(r.stderr)).toMatch(/^memlens unitmem: .*empty.*(no images|holds no)/);
    expect(one(r.stderr).split('\n')).toHaveLength(1);
  });

  it('a size the model cannot take: exit 1, no output file', () => {
    const out = join(dir, 'never.json');
    const r = memlens(['unitmem', join(dir, 'enc.onnx'), '--data', join(dir, 'imgs'), '--size', '8x8', '--out', out]);
    expect(r.code).toBe(1);
    expect(one(r.stderr)).toMatch(/--size 8x8 does not fit .*enc\.onnx, whose input is fixed at 2x2$/);
    expect(existsSync(out)).toBe(false);
  });

  it('layermem with a reference of another architecture: exit 1, MISMATCH line', () => {
    const r = memlens([
      'layermem',
      '--model',
      join(dir, 'enc.onnx'),
      '--reference',
      join(dir, 'wide.onnx'),
      '--data',
      join(dir, 'imgs'),
    ]);
    expect(r.code).toBe(1);
    expect(one(r.stderr)).toMatch(/reference .*wide\.onnx has a different architecture than .*enc\.onnx/);
  });

  it('an unknown choice is a usage error (exit 2)', () => {
    const r = memlens(['unitmem', join(dir, 'enc.onnx'), '--data', join(dir, 'imgs'), '--rest', 'mode']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--rest must be one of mean|median, got 'mode'");
    for (const verb of ['unitmem', 'classmem']) {
      const a = memlens([verb, join(dir, 'enc.onnx'), '--data', join(dir, 'imgs'), '--activation', 'relu']);
      expect(a.code).toBe(2);
      expect(a.stderr.split('\n')[0]).toBe(`memlens ${verb}: --activation must be one of rate|raw, got 'relu'`);
    }
  });

  it('classmem on unlabelled data: exit 1', () => {
    const r = memlens(['classmem', join(dir, 'enc.onnx'), '--data', join(dir, 'imgs')]);
    expect(r.code).toBe(1);
    expect(one(r.stderr)).toMatch(/classmem needs labelled data/);
  });

  it('Ctrl-C during a run: stops between batches, exit 1 "cancelled", no output file', async () => {
    const out = join(dir, 'cancelled.json');
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'memlens.js'),
        ...[
          'unitmem',
          join(DEMO, 'ssl-cnn-f.onnx'),
          '--data',
          join(DEMO, 'data', 'train-images-idx3-ubyte.gz'),
          '--out',
          out,
        ],
      ],
      { env: { ...process.env, MEMLENS_NO_CACHE: '1' } },
    );
    let stderr = '';
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    // A run that dies before its first progress line fails here with its stderr, not at the runner's timeout.
    const started = new Promise<void>((ok, fail) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('unitmem...')) ok();
      });
      child.on('exit', (code) =>
        fail(new Error(`memlens unitmem exited with ${code} before its progress line: ${stderr}`)),
      );
    });
    await within(started, 60_000, 'progress line from memlens unitmem');
    child.kill('SIGINT');
    expect(await within(exited, 60_000, 'exit after SIGINT')).toBe(1);
    expect(stderr).toContain('memlens unitmem: cancelled');
    expect(existsSync(out)).toBe(false);
  });
});
