import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/shared/api.js';
import { registerIpc, type IpcEventLike } from '../../../src/main/app/ipc.js';
import { channelOf } from '../../../src/main/app/channels.js';
import {
  workerApi,
  type PortLike,
  type WorkerReply,
  type WorkerRequest,
} from '../../../src/main/app/worker-protocol.js';
// @ts-expect-error: a plain JS build script without types
import { bundleNode } from '../../../scripts/build-cli.js';
import { WritePolicy } from '../../../src/main/write-policy.js';

const ROOT = join(__dirname, '..', '..', '..');

/** A port that records requests and lets the test answer, fail or end it like the engine worker would. */
function fakePort() {
  const sent: WorkerRequest[] = [];
  const listeners: Record<string, (arg: never) => void> = {};
  const port = {
    postMessage: (m: WorkerRequest) => void sent.push(m),
    on: (e: string, l: (arg: never) => void) => void (listeners[e] = l),
  } as PortLike;
  const emit = (event: string, arg: unknown) => listeners[event]?.(arg as never);
  return { port, sent, reply: (msg: WorkerReply) => emit('message', msg), emit };
}

describe('workerApi (main process side of the engine worker)', () => {
  it('matches replies to calls by id, even out of order', async () => {
    const { port, sent, reply } = fakePort();
    const api = workerApi(
      () => port,
      () => {},
    );
    const a = api.openProject({ path: '/a' });
    const b = api.recentProjects();
    expect(sent.map((m) => [m.method, m.req])).toEqual([
      ['openProject', { path: '/a' }],
      ['recentProjects', undefined],
    ]);
    reply({ id: sent[1].id, env: { result: ['/x'] } });
    reply({ id: sent[0].id, env: { result: { name: 'A' } } });
    await expect(b).resolves.toEqual(['/x']);
    await expect(a).resolves.toEqual({ name: 'A' });
  });

  it("re-throws the worker's error envelope with the engine's message and code", async () => {
    const { port, sent, reply } = fakePort();
    const api = workerApi(
      () => port,
      () => {},
    );
    const call = api.inspect({ model: '/bad.onnx' });
    reply({ id: sent[0].id, env: { error: '/bad.onnx: not a valid ONNX model', code: 'BAD_MODEL' } });
    await expect(call).rejects.toMatchObject({ message: '/bad.onnx: not a valid ONNX model', code: 'BAD_MODEL' });
  });

  it('forwards progress events', async () => {
    const { port, reply } = fakePort();
    const seen: Progress[] = [];
    const api = workerApi(
      () => port,
      (p) => seen.push(p),
    );
    void api.recentProjects(); // the worker starts with the first call
    reply({ progress: { jobId: 'j', done: 1, total: 3, stage: 'views' } });
    expect(seen).toEqual([{ jobId: 'j', done: 1, total: 3, stage: 'views' }]);
  });

  it("rejects the calls a dying worker leaves pending with the worker's reason, then starts a new one", async () => {
    const ports = [fakePort(), fakePort()];
    let started = 0;
    const api = workerApi(
      () => ports[started++].port,
      () => {},
    );
    const a = api.unitmem({ model: '/m.onnx', data: '/d', jobId: 'j' } as never);
    const b = api.recentProjects();
    ports[0].emit(
      'error',
      new Error('Worker terminated due to reaching memory limit: JS heap out of memory\n    at stack'),
    );
    ports[0].emit('exit', 1);
    await expect(a).rejects.toMatchObject({
      message:
        'unitmem: the engine stopped (Worker terminated due to reaching memory limit: JS heap out of memory); it restarts with the next call, run unitmem again',
      code: 'ENGINE_STOPPED',
    });
    await expect(b).rejects.toThrow(
      'recentProjects: the engine stopped (Worker terminated due to reaching memory limit: JS heap out of memory)',
    );
    expect(started).toBe(1);
    const c = api.recentProjects();
    expect(started).toBe(2);
    ports[1].reply({ id: ports[1].sent[0].id, env: { result: [] } });
    await expect(c).resolves.toEqual([]);
  });
});

describe('the engine worker behind the IPC glue', () => {
  it('survives its worker running out of memory: the pending call fails in one line, the next call works', async () => {
    const dir = join(ROOT, 'test-results', 'engine-worker');
    mkdirSync(dir, { recursive: true });
    const bundle = join(dir, 'engine-worker.mjs');
    await bundleNode(join(ROOT, 'src/main/app/engine-worker.ts'), bundle);
    const workerData = { resourcesDir: join(ROOT, 'resources'), stateDir: join(dir, 'state') };
    // The first worker gets a heap too small for the engine (a real out-of-memory death), the next a normal one.
    const workers: Worker[] = [];
    const start = () => {
      const w = new Worker(bundle, {
        workerData,
        resourceLimits: workers.length === 0 ? { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } : undefined,
      });
      workers.push(w);
      return w;
    };
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
    const page = 'app://memlens/index.html';
    registerIpc(
      { handle: (c, l) => void handlers.set(c, l) },
      workerApi(start, () => {}),
      { chooseFile: async () => null },
      (u) => u === page,
      new WritePolicy('choose it in a dialog'),
    );
    const invoke = (method: string, req: unknown) =>
      handlers.get(channelOf(method))!({ senderFrame: { url: page } }, req);
    const model = join(ROOT, 'resources', 'demo', 'ssl-cnn-f.onnx');
    try {
      const died = (await invoke('inspect', { model })) as { error: string; code: string };
      expect(died.code).toBe('ENGINE_STOPPED');
      expect(died.error).toMatch(
        /^inspect: the engine stopped \(.*memory.*\); it restarts with the next call, run inspect again$/,
      );
      const again = (await invoke('inspect', { model })) as { result: { layers: unknown[] } };
      expect(again.result.layers.length).toBeGreaterThan(5);
      expect(workers.length).toBe(2);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
