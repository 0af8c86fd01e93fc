// Reading back a sweep saved by `memlens compare` (the Compare screen's "Open saved sweep"): the file or
// its folder opens; anything else is one line naming the file and what is wrong.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/engine/dispatch.js';
import { createEngine } from '../../../src/main/engine/index.js';
import { openSavedSweep } from '../../../src/main/engine/evaluate/saved-sweep.js';
import { STRATEGY_NAMES } from '../../../src/shared/strategies.js';

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
  it('opens a compare.json, and the folder holding one, also through the hosts\' checked boundary', async () => {
    await mkdir(join(dir, 'run'));
    const file = await write(join('run', 'compare.json'), doc());
    const fromFile = await openSavedSweep(file);
    expect(fromFile.points.map((p) => [p.strategy, p.ratio, p.accuracy])).toEqual([
      ['none', 0, 0.79],
      ['low', 0.2, 0.78],
    ]);
    expect(fromFile.model.path).toBe('/models/encoder.onnx');
    expect(await openSavedSweep(join(dir, 'run'))).toEqual(fromFile);
    const engine = createEngine({ resourcesDir: dir, stateDir: join(dir, 'state') });
    expect(await dispatch(engine, 'openCompare', { path: join(dir, 'run') })).toEqual({ result: fromFile });
    expect(await dispatch(engine, 'openCompare', { path: 3 })).toMatchObject({ code: 'BAD_INPUT', error: expect.stringMatching(/^openCompare: .*path/) });
  });

  it('says what is wrong, naming the file', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['broken.json', '{"schema": ', /^saved comparison .*broken\.json is not valid JSON: /],
      ['project.json', { schema: 'memlens.project/1' }, /^saved comparison .*project\.json: not a MemLens comparison \(schema memlens\.compare\/1 expected, found 'memlens\.project\/1'\)$/],
      ['list.json', [1, 2], /list\.json: not a MemLens comparison \(schema memlens\.compare\/1 expected, found none\)$/],
      ['empty.json', doc({ points: [] }), /empty\.json: points must be a non-empty list$/],
      ['nomodel.json', doc({ model: 'x' }), /nomodel\.json: model\.path must be a string$/],
      ['strategy.json', doc({ points: [point('best', 0.2, 0.7)] }), new RegExp(`strategy\\.json: point 0: strategy must be one of none, ${STRATEGY_NAMES.join(', ')}$`)],
      ['accuracy.json', doc({ points: [point('none', 0, 0.7), { ...point('low', 0.2, 0.7), accuracy: '0.7' }] }), /accuracy\.json: point 1: accuracy must be a number$/],
      ['layermem.json', doc({ points: [{ ...point('low', 0.2, 0.7), layerMem: null }] }), /layermem\.json: point 0: layerMem must be a number$/],
    ];
    for (const [name, content, message] of cases) {
      const path = await write(name, content);
      await expect(openSavedSweep(path), name).rejects.toThrow(message);
      await expect(openSavedSweep(path), name).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
  });

  it('a missing path, and a folder without compare.json, are NOT_FOUND', async () => {
    await expect(openSavedSweep(join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `saved comparison ${join(dir, 'nope')} does not exist` });
    await mkdir(join(dir, 'empty-folder'));
    await expect(openSavedSweep(join(dir, 'empty-folder'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `folder ${join(dir, 'empty-folder')} holds no compare.json (memlens compare --out DIR writes one)`,
    });
  });
});
