// Sweeps kept with their project: a new folder per sweep, listed newest first for reopening.
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSweeps, newSweepFolder, sweepsFolder } from '../../../src/main/engine/evaluate/sweep-store.js';

let dir: string;
let project: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-sweep-store-'));
  project = join(dir, 'p.memlens.json');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const doc = {
  schema: 'memlens.compare/2',
  model: { path: '/m.onnx', sha256: 'ab'.repeat(32) },
  settings: {
    strategies: ['high', 'random'],
    grid: [
      { scope: 'layer', ratio: 0.1 },
      { scope: 'global', ratio: 0.1 },
    ],
    probe: 'linear',
    views: 10,
    seeds: [0, 1],
    sslmem: {},
  },
  points: [
    {
      strategy: 'none',
      scope: 'layer',
      ratio: 0,
      seeds: [0],
      accuracy: { mean: 0.8, ci95: [0.78, 0.82], perSeed: [0.8] },
      memorization: { unitmem: { mean: 0.4, measured: true } },
      params: 1,
      flops: 1,
      latencyMs: 1,
    },
  ],
  tests: [],
};

describe('sweeps kept with a project', () => {
  it('gives each sweep its own folder beside the project file, and lists them newest first', async () => {
    expect(await sweepsFolder(project)).toBe(join(dir, '.memlens-sweeps'));
    expect(await listSweeps(project)).toEqual([]);
    const [a, b, running] = [
      await newSweepFolder(project),
      await newSweepFolder(project),
      await newSweepFolder(project),
    ];
    expect(new Set([a, b, running]).size).toBe(3);
    for (const f of [a, b, running]) expect(dirname(f)).toBe(join(dir, '.memlens-sweeps'));
    await writeFile(join(a, 'compare.json'), JSON.stringify(doc));
    await writeFile(join(b, 'compare.json'), '{"schema": ');
    // a is the older one; `running` has no compare.json yet and is not listed.
    await utimes(join(a, 'compare.json'), new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    const list = await listSweeps(project);
    expect(list.map((s) => s.path)).toEqual([b, a]);
    expect(list[1]).toEqual({
      path: a,
      created: '2026-01-01T00:00:00.000Z',
      strategies: ['high', 'random'],
      ratios: [0.1],
      probe: 'linear',
      views: 10,
      seeds: [0, 1],
      reference: true,
    });
    expect(list[0].error).toMatch(/^saved comparison .*compare\.json is not valid JSON: /);
  });
});
