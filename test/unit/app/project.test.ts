import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProjectFile } from '../../../src/shared/api.js';
import { createProject, loadProject, RecentProjects } from '../../../src/main/engine/project/project.js';
import { DEMO } from '../../support/cli.js';

let dir: string;
const doc = (over: Record<string, unknown> = {}) => ({
  schema: 'memlens.project/1',
  name: 'tiny',
  model: 'models/f.onnx',
  data: { candidates: 'data/c-images-idx3-ubyte.gz', train: 'data/train' },
  normalization: { mean: [0.5], std: [0.25] },
  ...over,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'memlens-project-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'f.onnx'), 'x');
});

describe('project files', () => {
  it('resolves every path against the project file and fills augment defaults under the file values', async () => {
    const file = join(dir, 'p.memlens.json');
    writeFileSync(file, JSON.stringify(doc({ augment: { flipP: 0 } })));
    const info = await loadProject(file);
    expect(info.model).toBe(join(dir, 'models', 'f.onnx'));
    expect(info.data).toEqual({
      candidates: join(dir, 'data', 'c-images-idx3-ubyte.gz'),
      train: join(dir, 'data', 'train'),
    });
    expect(info.augment.flipP).toBe(0);
    expect(info.augment.kind).toBe('simclr');
  });

  it('keeps the default jitter strengths a project file does not name', async () => {
    const file = join(dir, 'p.memlens.json');
    writeFileSync(file, JSON.stringify(doc({ augment: { jitter: { hue: 0 } } })));
    const info = await loadProject(file);
    expect(info.augment.jitter).toEqual({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0 });
  });

  it.each([
    ['{oops', /is not valid JSON/],
    [
      JSON.stringify(doc({ schema: 'memlens.project/9' })),
      /schema must be 'memlens.project\/1', got "memlens.project\/9"/,
    ],
    [JSON.stringify(doc({ model: '' })), /'model' must be a non-empty string/],
    [JSON.stringify(doc({ data: {} })), /'data.candidates' must be a non-empty string/],
    [JSON.stringify(doc({ normalization: { mean: [0.5], std: [0] } })), /'normalization.std' values must be positive/],
    [JSON.stringify(doc({ model: 'models/missing.onnx' })), /model .*missing.onnx does not exist/],
    [JSON.stringify(doc({ augment: { flipP: 2 } })), /bad.memlens.json: flip probability must be in \[0, 1\], got 2/],
  ])('rejects a bad project file with a one-line message naming it (%#)', async (text, message) => {
    const file = join(dir, 'bad.memlens.json');
    writeFileSync(file, text);
    const err = (await loadProject(file).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(message);
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('\n');
  });

  it.each([
    ['the demo encoder by its name', join(DEMO, 'ssl-cnn-f.onnx')],
    ['the same bytes renamed', 'renamed.memlens.json'],
  ])('an ONNX model given as the project file is named as one (%s)', async (_what, given) => {
    const file = given.startsWith('/') ? given : join(dir, given);
    if (!given.startsWith('/')) copyFileSync(join(DEMO, 'ssl-cnn-f.onnx'), file);
    const err = (await loadProject(file).catch((e: Error) => e)) as Error;
    expect(err.message).toBe(
      `${file} is an ONNX model, not a project file (*.memlens.json): create a project for it (the app's Project screen offers to), or give it as MODEL to a memlens verb`,
    );
  });

  it('createProject stores paths relative to the project file', async () => {
    const file = join(dir, 'sub', 'new.memlens.json');
    mkdirSync(join(dir, 'sub'));
    const p = doc({
      model: join(dir, 'models', 'f.onnx'),
      data: { candidates: join(dir, 'data', 'c') },
    }) as unknown as ProjectFile;
    const info = await createProject(file, p);
    const written = JSON.parse(await readFile(file, 'utf8'));
    expect(written.model).toBe(join('..', 'models', 'f.onnx'));
    expect(written.data.candidates).toBe(join('..', 'data', 'c'));
    expect(info.model).toBe(join(dir, 'models', 'f.onnx'));
    await expect(createProject(join(dir, 'x.json'), p)).rejects.toThrow('must end in .memlens.json');
  });

  it('recent projects: newest first, no duplicates, missing files dropped', async () => {
    const recent = new RecentProjects(join(dir, 'state'));
    const a = join(dir, 'a.memlens.json');
    const b = join(dir, 'b.memlens.json');
    writeFileSync(a, '{}');
    writeFileSync(b, '{}');
    await recent.add(a);
    await recent.add(b);
    await recent.add(a);
    expect(await recent.list()).toEqual([a, b]);
    await recent.add(join(dir, 'gone.memlens.json'));
    expect(await recent.list()).toEqual([a, b]);
  });
});
