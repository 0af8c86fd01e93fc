import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../../src/main/engine/infer/session.js';
import { writeConvModel } from './tiny-models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-session-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('worker sessions', () => {
  it('run a model off the JS thread: names and outputs (y = relu(2p - 1))', async () => {
    await writeConvModel(join(dir, 'm.onnx'), [2], [-1], { relu: true });
    const s = await createSession(await readFile(join(dir, 'm.onnx')), { threads: 1 });
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['y']);
    const out = await s.run('x', { data: Float32Array.from([0, 0.25, 0.75, 1]), dims: [1, 1, 2, 2] }, ['y']);
    await s.release();
    expect(out.y.dims).toEqual([1, 1, 2, 2]);
    expect(Array.from(out.y.data)).toEqual([0, 0, 0.5, 1]);
  });

  it('bytes onnxruntime cannot load: one BAD_MODEL line naming the model', async () => {
    await expect(createSession(new Uint8Array([1, 2, 3]), {}, 'broken.onnx')).rejects.toThrow(/^onnxruntime cannot load broken\.onnx: [^\n]+$/);
  });
});
