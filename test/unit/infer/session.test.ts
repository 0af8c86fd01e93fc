import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../../src/main/engine/infer/session.js';
import { selectLayers, startTapEncoder } from '../../../src/main/engine/infer/encoder.js';
import { loadModel } from '../../../src/main/engine/onnx/index.js';
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
    await expect(createSession(new Uint8Array([1, 2, 3]), {}, 'broken.onnx')).rejects.toThrow(
      /^onnxruntime cannot load broken\.onnx: [^\n]+$/,
    );
  });
});

describe('encoders set up in the background (startTapEncoder)', () => {
  it('hands the encoder over, or releases it when the work meanwhile fails', async () => {
    await writeConvModel(join(dir, 'bg.onnx'), [2], [-1], { relu: true });
    const model = await loadModel(join(dir, 'bg.onnx'));
    const layers = selectLayers(model, undefined, true);
    const x = { data: Float32Array.from([0, 0.25, 0.75, 1]), dims: [1, 1, 2, 2] };

    const kept = startTapEncoder(model, layers, { means: true, threads: 1 });
    expect(await kept.during(Promise.resolve('data opened'))).toBe('data opened');
    const enc = await kept.ready;
    const out = await enc.session.run('x', x, [enc.layers[0].mean!]);
    expect(Array.from(out[enc.layers[0].mean!].data)).toEqual([0.375]); // mean of relu(2p - 1)
    await enc.session.release();

    const dropped = startTapEncoder(model, layers, { means: true, threads: 1 });
    await expect(dropped.during(Promise.reject(new Error('no such data')))).rejects.toThrow('no such data');
    const released = await dropped.ready;
    await expect(released.session.run('x', x, [released.layers[0].mean!])).rejects.toThrow(
      'the onnxruntime session was released',
    );
  });

  it('a model that cannot be tapped: the failure waits for whoever awaits it, discard() swallows it', async () => {
    const model = await loadModel(join(dir, 'bg.onnx'));
    const layers = selectLayers(model, undefined, true);
    const bad = startTapEncoder(model, layers, { means: true, threads: 1, size: [0, 0] });
    await expect(bad.ready).rejects.toThrow(/^--size 0x0 does not fit .*bg\.onnx/);
    await expect(bad.discard()).resolves.toBeUndefined();
  });
});
