// Reading back a sweep saved by `memlens compare` (the Compare screen's "Open saved sweep"): the file or
// its folder opens; anything else is one line naming the file and what is wrong.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/engine/dispatch.js';
import { createEngine } from '../../../src/main/engine/index.js';
import { openSavedSweep } from '../../../src/main/engine/evaluate/saved-sweep.js';
import { POINT_STRATEGIES } from '../../../src/shared/strategies.js';

const point = (strategy: string, ratio: number, accuracy: number) => ({
  strategy,
  scope: 'layer',
  ratio,
  seed: 0,
  accuracy,
  meanUnitMem: 0.41,
  layerMem: 0.03,
  params: 1000,
  flops: 20000,
  latencyMs: 0.5,
});
const v2point = (strategy: string, ratio: number, accuracy: number) => ({
  strategy,
  scope: 'layer',
  ratio,
  seeds: [0],
  accuracy: { mean: accuracy, ci95: [accuracy - 0.02, accuracy + 0.02], perSeed: [accuracy] },
  memorization: {
    unitmem: { mean: 0.41, measured: true },
    sslmem: { candidates: 0.1, control: 0.02, gap: 0.08, ci95: [0.05, 0.11] },
  },
  params: 1000,
  flops: 20000,
  latencyMs: 0.5,
});
const test0 = {
  a: 'low',
  b: 'random',
  scope: 'layer',
  ratio: 0.2,
  metric: 'accuracy',
  difference: 0.01,
  ci95: [-0.01, 0.03],
  pValue: 0.4,
  verdict: 'not significant',
};
const v2 = (over: Record<string, unknown> = {}) => ({
  schema: 'memlens.compare/2',
  model: { path: '/models/encoder.onnx', sha256: 'ab'.repeat(32) },
  settings: { strategies: ['low', 'random'], probe: 'linear', views: 10 },
  points: [v2point('none', 0, 0.79), v2point('low', 0.2, 0.78)],
  tests: [test0],
  ...over,
});
const doc = (over: Record<string, unknown> = {}) => ({
  schema: 'memlens.compare/1',
  model: { path: '/models/encoder.onnx', sha256: 'ab'.repeat(32) },
  settings: { strategies: ['low'], ratios: [0.2] },
  points: [point('none', 0, 0.79), point('low', 0.2, 0.78)],
  ...over,
});

let dir: string;
const write = async (name: string, content: unknown) => {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-saved-sweep-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('openSavedSweep', () => {
  it("opens a compare.json, and the folder holding one, also through the hosts' checked boundary", async () => {
    await mkdir(join(dir, 'run'));
    const file = await write(join('run', 'compare.json'), v2());
    const fromFile = await openSavedSweep(file);
    expect(fromFile).toEqual(v2());
    expect(fromFile.model.path).toBe('/models/encoder.onnx');
    expect(await openSavedSweep(join(dir, 'run'))).toEqual(fromFile);
    const engine = createEngine({ resourcesDir: dir, stateDir: join(dir, 'state') });
    expect(await dispatch(engine, 'openCompare', { path: join(dir, 'run') })).toEqual({ result: fromFile });
    expect(await dispatch(engine, 'openCompare', { path: 3 })).toMatchObject({
      code: 'BAD_INPUT',
      error: expect.stringMatching(/^openCompare: .*path/),
    });
  });

  it('opens a version 1 file as version 2: seeds pooled per cell, nothing claimed as measured', async () => {
    const v1 = doc({
      points: [
        point('none', 0, 0.79),
        point('random', 0.2, 0.7),
        { ...point('random', 0.2, 0.74), seed: 1, meanUnitMem: 0.43 },
      ],
    });
    const r = await openSavedSweep(await write('v1.json', v1));
    expect(r.schema).toBe('memlens.compare/2');
    expect(r.settings).toEqual({ ...v1.settings, upgradedFrom: 'memlens.compare/1' });
    expect(r.tests).toEqual([]);
    expect(r.points[1]).toEqual({
      strategy: 'random',
      scope: 'layer',
      ratio: 0.2,
      seeds: [0, 1],
      accuracy: { mean: (0.7 + 0.74) / 2, ci95: null, perSeed: [0.7, 0.74] },
      memorization: { unitmem: { mean: (0.41 + 0.43) / 2, measured: false } },
      params: 1000,
      flops: 20000,
      latencyMs: 0.5,
    });
  });

  it('says what is wrong, naming the file', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['broken.json', '{"schema": ', /^saved comparison .*broken\.json is not valid JSON: /],
      [
        'project.json',
        { schema: 'memlens.project/1' },
        /^saved comparison .*project\.json: not a MemLens comparison \(schema memlens\.compare\/2 or memlens\.compare\/1 expected, found 'memlens\.project\/1'\)$/,
      ],
      [
        'list.json',
        [1, 2],
        /list\.json: not a MemLens comparison \(schema memlens\.compare\/2 or memlens\.compare\/1 expected, found none\)$/,
      ],
      ['empty.json', doc({ points: [] }), /empty\.json: points must be a non-empty list$/],
      ['nomodel.json', doc({ model: 'x' }), /nomodel\.json: model\.path must be a string$/],
      [
        'strategy.json',
        doc({ points: [point('best', 0.2, 0.7)] }),
        new RegExp(`strategy\\.json: point 0: strategy must be one of ${POINT_STRATEGIES.join(', ')}$`),
      ],
      [
        'accuracy.json',
        doc({ points: [point('none', 0, 0.7), { ...point('low', 0.2, 0.7), accuracy: '0.7' }] }),
        /accuracy\.json: point 1: accuracy must be a number$/,
      ],
      [
        'v2-ci.json',
        v2({ points: [{ ...v2point('low', 0.2, 0.7), accuracy: { mean: 0.7, ci95: [0.6], perSeed: [0.7] } }] }),
        /v2-ci\.json: point 0: accuracy\.ci95 must be \[lower, upper\] or null$/,
      ],
      [
        'v2-measured.json',
        v2({ points: [{ ...v2point('low', 0.2, 0.7), memorization: { unitmem: { mean: 0.4 } } }] }),
        /v2-measured\.json: point 0: memorization\.unitmem\.measured must be true or false$/,
      ],
      [
        'v2-gap.json',
        v2({
          points: [
            {
              ...v2point('low', 0.2, 0.7),
              memorization: { unitmem: { mean: 0.4, measured: true }, sslmem: { candidates: 0.1, control: 0 } },
            },
          ],
        }),
        /v2-gap\.json: point 0: memorization\.sslmem: gap must be a number$/,
      ],
      ['v2-tests.json', v2({ tests: undefined }), /v2-tests\.json: tests must be a list$/],
      [
        'v2-verdict.json',
        v2({ tests: [{ ...test0, verdict: 'maybe' }] }),
        /v2-verdict\.json: test 0: verdict must be one of higher, lower, not significant$/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const path = await write(name, content);
      await expect(openSavedSweep(path), name).rejects.toThrow(message);
      await expect(openSavedSweep(path), name).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
  });

  it('a missing path, and a folder without compare.json, are NOT_FOUND', async () => {
    await expect(openSavedSweep(join(dir, 'nope'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `saved comparison ${join(dir, 'nope')} does not exist`,
    });
    await mkdir(join(dir, 'empty-folder'));
    await expect(openSavedSweep(join(dir, 'empty-folder'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `folder ${join(dir, 'empty-folder')} holds no compare.json (memlens compare --out DIR writes one)`,
    });
  });
});
