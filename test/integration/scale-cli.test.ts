// Scale on the demo (docs/SCALE.md): --shard I/N parts merged by `memlens merge` equal one run,
// a run killed with SIGKILL continues with --resume to the same document, and one-line errors for
// parts that do not make up a run.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassMemResult, LayerMemResult, UnitMemResult } from '../../src/shared/api.js';
import { DEMO, memlens, ROOT } from '../support/cli.js';

const CNN = join(DEMO, 'ssl-cnn-f.onnx');
const CNN_G = join(DEMO, 'ssl-cnn-g.onnx');
const CANDIDATES = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');
let dir: string;
beforeAll(async () => {
  process.env.MEMLENS_NO_CACHE = '1'; // measure every run, do not replay an earlier one
  dir = await mkdtemp(join(tmpdir(), 'memlens-scale-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const read = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const one = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => !l.endsWith('...'))
    .join('\n');

/** Runs `args` as 3 shards and as one run; returns the merged and the single document. */
function shardedAndSingle<T>(
  name: string,
  args: string[],
): { merged: T; single: T; parts: { range: [number, number] }[] } {
  const parts = [0, 1, 2].map((i) => {
    const out = join(dir, `${name}.${i}.part.json`);
    const r = memlens([...args, '--shard', `${i}/3`, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    return out;
  });
  // given out of order: merge orders them by shard index
  const merge = memlens(['merge', parts[2], parts[0], parts[1], '--out', join(dir, `${name}.merged.json`)]);
  expect(merge.code, merge.stderr).toBe(0);
  const single = memlens([...args, '--out', join(dir, `${name}.single.json`)]);
  expect(single.code, single.stderr).toBe(0);
  return {
    merged: read<T>(join(dir, `${name}.merged.json`)),
    single: read<T>(join(dir, `${name}.single.json`)),
    parts: parts.map((p) => read<{ range: [number, number] }>(p)),
  };
}

function expectSameUnitMem(merged: UnitMemResult, single: UnitMemResult): void {
  expect(merged.samples).toEqual(single.samples);
  expect(merged.settings).toEqual(single.settings);
  expect(merged.layers.map((l) => l.name)).toEqual(single.layers.map((l) => l.name));
  merged.layers.forEach((m, i) => {
    const s = single.layers[i];
    expect(m.argmaxSample).toEqual(s.argmaxSample);
    expect(m.top).toEqual(s.top);
    for (const field of ['unitmem', 'muMax', 'muRest'] as const) {
      const worst = Math.max(...m[field].map((v, k) => Math.abs(v - s[field][k])));
      expect(worst, `${m.name} ${field}`).toBeLessThanOrEqual(1e-6);
    }
  });
}

describe('memlens unitmem|classmem|layermem --shard I/N and memlens merge', () => {
  for (const rest of ['mean', 'median']) {
    it(`unitmem rest ${rest}: 3 shards of unequal size (83, 83, 84) merge into the single run's document`, () => {
      const { merged, single, parts } = shardedAndSingle<UnitMemResult>(`unitmem-${rest}`, [
        'unitmem',
        CNN,
        '--data',
        CANDIDATES,
        '--views',
        '3',
        '--rest',
        rest,
      ]);
      expect(parts.map((p) => p.range)).toEqual([
        [0, 83],
        [83, 166],
        [166, 250],
      ]);
      expect(single.samples).toHaveLength(250);
      expectSameUnitMem(merged, single);
    });
  }

  it('unitmem median with a one-sample shard (4 samples: shards of 1, 1 and 2)', () => {
    const { merged, single, parts } = shardedAndSingle<UnitMemResult>('unitmem-one', [
      'unitmem',
      CNN,
      '--data',
      CANDIDATES,
      '--limit',
      '4',
      '--views',
      '2',
      '--rest',
      'median',
    ]);
    expect(parts.map((p) => p.range[1] - p.range[0])).toEqual([1, 1, 2]);
    expectSameUnitMem(merged, single);
  });

  it("classmem: merged class sums give the single run's ClassMem", () => {
    const { merged, single } = shardedAndSingle<ClassMemResult>('classmem', ['classmem', CNN, '--data', CANDIDATES]);
    expect(merged.classes).toEqual(single.classes);
    merged.layers.forEach((m, i) => {
      expect(m.argmaxClass).toEqual(single.layers[i].argmaxClass);
      expect(Math.max(...m.classmem.map((v, k) => Math.abs(v - single.layers[i].classmem[k])))).toBeLessThanOrEqual(
        1e-6,
      );
    });
  });

  it('layermem norm range: per-point SSLMem joined, then normalized over every candidate as one run does', () => {
    const { merged, single } = shardedAndSingle<LayerMemResult>('layermem', [
      'layermem',
      '--model',
      CNN,
      '--reference',
      CNN_G,
      '--data',
      CANDIDATES,
      '--limit',
      '40',
      '--views',
      '2',
      '--norm',
      'range',
    ]);
    merged.layers.forEach((m, i) => {
      expect(m.sslmem).toHaveLength(40);
      expect(Math.max(...m.sslmem.map((v, k) => Math.abs(v - single.layers[i].sslmem[k])))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(m.layermem - single.layers[i].layermem)).toBeLessThanOrEqual(1e-6);
    });
  });

  it('parts that do not make up one run: one-line errors, exit 1; usage errors exit 2', () => {
    const p = (name: string, i: number) => join(dir, `${name}.${i}.part.json`);
    const missing = memlens(['merge', p('unitmem-mean', 0), p('unitmem-mean', 2), '--out', join(dir, 'never.json')]);
    expect(missing.code).toBe(1);
    expect(one(missing.stderr)).toBe('memlens merge: shards 1/3 are missing');
    const mixed = memlens([
      'merge',
      p('unitmem-mean', 0),
      p('unitmem-median', 1),
      p('unitmem-mean', 2),
      '--out',
      join(dir, 'never.json'),
    ]);
    expect(mixed.code).toBe(1);
    expect(one(mixed.stderr)).toBe(
      `memlens merge: ${p('unitmem-median', 1)} is not a shard of the same run as ${p('unitmem-mean', 0)} (metric, model, settings, data or shard count differ)`,
    );
    const twice = memlens(['merge', p('unitmem-mean', 0), p('unitmem-mean', 0), '--out', join(dir, 'never.json')]);
    expect(one(twice.stderr)).toBe(`memlens merge: shard 0/3 is given twice (${p('unitmem-mean', 0)})`);
    const absent = memlens(['merge', join(dir, 'nothing.json'), '--out', join(dir, 'never.json')]);
    expect(one(absent.stderr)).toBe(`memlens merge: part ${join(dir, 'nothing.json')} does not exist`);
    const notPart = memlens(['merge', join(dir, 'unitmem-mean.single.json'), '--out', join(dir, 'never.json')]);
    expect(one(notPart.stderr)).toBe(
      `memlens merge: part ${join(dir, 'unitmem-mean.single.json')} is not a memlens part (from --shard or a checkpoint)`,
    );
    expect(existsSync(join(dir, 'never.json'))).toBe(false);

    const empty = memlens([
      'unitmem',
      CNN,
      '--data',
      CANDIDATES,
      '--limit',
      '2',
      '--shard',
      '0/3',
      '--out',
      join(dir, 'never.json'),
    ]);
    expect(empty.code).toBe(1);
    expect(one(empty.stderr)).toBe('memlens unitmem: shard 0/3 has no samples: there are only 2');
    const bad = memlens(['unitmem', CNN, '--data', CANDIDATES, '--shard', '3/3', '--out', join(dir, 'never.json')]);
    expect(one(bad.stderr)).toBe(
      "memlens unitmem: shard must be I/N with 0 <= I < N (I as Slurm's array task id), got '3/3'",
    );
    const noOut = memlens(['unitmem', CNN, '--data', CANDIDATES, '--shard', '0/3']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr.split('\n')[0]).toBe(
      'memlens unitmem: --shard needs --out PART (the part file memlens merge reads)',
    );
  });
});

describe('memlens unitmem --resume', () => {
  it('a run killed with SIGKILL after some batches continues from its checkpoint to the same document', async () => {
    const args = ['unitmem', CNN, '--data', CANDIDATES, '--views', '4', '--batch', '8', '--rest', 'median'];
    const out = join(dir, 'resumed.json');
    const checkpoint = `${out}.partial`;
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'memlens.js'), ...args, '--out', out], {
      stdio: 'ignore',
    });
    const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
    // the checkpoint is written about once a second; kill the run as soon as there is one
    const deadline = Date.now() + 60_000;
    while (!existsSync(checkpoint)) {
      if (Date.now() > deadline) throw new Error('no checkpoint within 60 s');
      await new Promise((ok) => setTimeout(ok, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(out)).toBe(false);
    const text = readFileSync(checkpoint, 'utf8');
    const saved = JSON.parse(text) as { done: number };
    expect(saved.done).toBeGreaterThan(0);
    expect(saved.done).toBeLessThan(250);

    const again = memlens([...args, '--out', out]);
    expect(again.code).toBe(1);
    expect(one(again.stderr)).toBe(
      `memlens unitmem: checkpoint ${checkpoint} is left from an unfinished run: pass --resume to continue it, or remove it`,
    );
    const resumed = memlens([...args, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(checkpoint)).toBe(false);
    const whole = memlens([...args, '--out', join(dir, 'uninterrupted.json')]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(read(out)).toEqual(read(join(dir, 'uninterrupted.json')));

    // a checkpoint of other settings is refused, not continued
    writeFileSync(checkpoint, text);
    const other = memlens([...args.slice(0, -2), '--rest', 'mean', '--out', out, '--resume']);
    expect(other.code).toBe(1);
    expect(one(other.stderr)).toBe(
      `memlens unitmem: checkpoint ${checkpoint} is of another run (metric, model, settings, data or shard differ); remove it to start over`,
    );
  });
});
