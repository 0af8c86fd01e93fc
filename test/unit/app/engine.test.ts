import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/main/engine/index.js';
import { within } from '../../support/wait.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-engine-'));
  mkdirSync(join(dir, 'resources', 'demo'), { recursive: true });
  writeFileSync(join(dir, 'resources', 'demo', 'enc.onnx'), 'x');
  const project = {
    schema: 'memlens.project/1',
    name: 'demo',
    model: 'enc.onnx',
    data: { candidates: 'c' },
    normalization: { mean: [0.5], std: [0.5] },
  };
  writeFileSync(join(dir, 'resources', 'demo', 'project.memlens.json'), JSON.stringify(project));
  return { dir, engine: createEngine({ resourcesDir: join(dir, 'resources'), stateDir: join(dir, 'state') }) };
}

describe('createEngine (the facade)', () => {
  it('opens the demo project from the resources folder and remembers it as recent', async () => {
    const { dir, engine } = setup();
    expect(await engine.recentProjects()).toEqual([]);
    const info = await engine.demoProject();
    expect(info.model).toBe(join(dir, 'resources', 'demo', 'enc.onnx'));
    expect(await engine.recentProjects()).toEqual([join(dir, 'resources', 'demo', 'project.memlens.json')]);
  });

  it('saveExport writes text and decoded base64, and only to export file types', async () => {
    const { dir, engine } = setup();
    await engine.saveExport({ path: join(dir, 'a.csv'), content: 'x,y\n', encoding: 'utf8' });
    await engine.saveExport({
      path: join(dir, 'a.png'),
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'),
      encoding: 'base64',
    });
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe('x,y\n');
    expect([...readFileSync(join(dir, 'a.png'))]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    await expect(engine.saveExport({ path: join(dir, 'enc.onnx'), content: '', encoding: 'utf8' })).rejects.toThrow(
      `export ${join(dir, 'enc.onnx')}: extension must be one of .png .svg .csv .json .html`,
    );
  });

  it('cancel reaches the running job by its id; unknown ids are not an error', async () => {
    const { engine } = setup();
    let signal: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const job = engine.jobs.run('j1', async (ctl) => {
      signal = ctl.signal;
      started();
      await new Promise((r) => ctl.signal!.addEventListener('abort', r));
    });
    await within(running, 5000, 'start of job j1');
    await engine.cancel({ jobId: 'j1' });
    await within(job, 5000, 'end of the cancelled job j1');
    expect(signal!.aborted).toBe(true);
    await expect(engine.cancel({ jobId: 'nope' })).resolves.toBeUndefined();
  });
});
