import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/shared/api.js';
import { workerApi, type PortLike, type WorkerReply, type WorkerRequest } from '../../../src/main/app/worker-protocol.js';

/** A port that records requests and lets the test answer them like the engine worker would. */
function fakePort() {
  const sent: WorkerRequest[] = [];
  let listener: (msg: WorkerReply) => void = () => {};
  const port: PortLike = { postMessage: (m) => void sent.push(m), on: (_e, l) => void (listener = l) };
  return { port, sent, reply: (msg: WorkerReply) => listener(msg) };
}

describe('workerApi (main process side of the engine worker)', () => {
  it('matches replies to calls by id, even out of order', async () => {
    const { port, sent, reply } = fakePort();
    const api = workerApi(port, () => {});
    const a = api.openProject({ path: '/a' });
    const b = api.recentProjects();
    expect(sent.map((m) => [m.method, m.req])).toEqual([['openProject', { path: '/a' }], ['recentProjects', undefined]]);
    reply({ id: sent[1].id, env: { result: ['/x'] } });
    reply({ id: sent[0].id, env: { result: { name: 'A' } } });
    await expect(b).resolves.toEqual(['/x']);
    await expect(a).resolves.toEqual({ name: 'A' });
  });

  it("re-throws the worker's error envelope with the engine's message and code", async () => {
    const { port, sent, reply } = fakePort();
    const api = workerApi(port, () => {});
    const call = api.inspect({ model: '/bad.onnx' });
    reply({ id: sent[0].id, env: { error: '/bad.onnx: not a valid ONNX model', code: 'BAD_MODEL' } });
    await expect(call).rejects.toMatchObject({ message: '/bad.onnx: not a valid ONNX model', code: 'BAD_MODEL' });
  });

  it('forwards progress events', () => {
    const { port, reply } = fakePort();
    const seen: Progress[] = [];
    workerApi(port, (p) => seen.push(p));
    reply({ progress: { jobId: 'j', done: 1, total: 3, stage: 'views' } });
    expect(seen).toEqual([{ jobId: 'j', done: 1, total: 3, stage: 'views' }]);
  });
});
