// onnxruntime-node sessions, each in its own worker thread: onnxruntime-node's run() executes on the
// calling JS thread (inside a setImmediate), so a session on the main thread would stop data
// preparation while it runs. In a worker, batch k+1 is decoded and augmented while batch k runs.
// CUDA when its provider library is installed and starts, else CPU (docs/ARCHITECTURE.md "Decisions": execution providers).
import { Worker } from 'node:worker_threads';
import { MemLensError } from '../errors.js';
import {
  ortModulePath,
  providerOrder,
  sessionOptions,
  sessionThreads,
  type Provider,
  type RuntimeOptions,
} from './providers.js';
import { workerCalls } from '../workers.js';

export interface TensorData {
  data: Float32Array;
  dims: number[];
}

export interface Session {
  provider: Provider;
  threads: number;
  inputNames: string[];
  outputNames: string[];
  /** Runs one batch; `input` is copied to the worker, so the caller may refill it at once. */
  run(inputName: string, input: TensorData, outputs: string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

// The worker is self-contained (only onnxruntime-node, by absolute path) so it runs the same from
// the sources, the CLI bundle and the Electron build without a separate entry file.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
let session;
async function create(m) {
  for (const [ep, options] of m.providers) {
    try {
      session = await ort.InferenceSession.create(m.bytes, options);
      return { provider: ep, inputNames: session.inputNames, outputNames: session.outputNames };
    } catch (e) {
      if (ep === 'cpu') throw e;
    }
  }
}
async function run(m) {
  const out = await session.run({ [m.inputName]: new ort.Tensor('float32', m.data, m.dims) }, m.outputs);
  const res = {};
  for (const k of m.outputs) res[k] = { data: out[k].data, dims: out[k].dims };
  return res;
}
parentPort.on('message', async (m) => {
  try {
    parentPort.postMessage({ id: m.id, result: m.bytes ? await create(m) : await run(m) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});`;

/**
 * Creates a session for a model given as bytes (`what` names it in errors). The bytes are moved to
 * the session's worker: the caller's buffer is empty afterwards (callers pass a fresh encoding).
 */
export async function createSession(bytes: Uint8Array, opts: RuntimeOptions = {}, what = 'model'): Promise<Session> {
  const threads = sessionThreads(opts);
  const worker = new Worker(WORKER, { eval: true, workerData: { ort: ortModulePath() } });
  // A run in flight when the session is released (or the worker dies) fails instead of hanging.
  const { call, terminate } = workerCalls(worker, 'the onnxruntime session was released');

  const providers = providerOrder(opts).map((ep): [Provider, ReturnType<typeof sessionOptions>] => [
    ep,
    sessionOptions(threads, ep),
  ]);
  let created: Pick<Session, 'provider' | 'inputNames' | 'outputNames'>;
  try {
    // a view into a larger buffer would be cloned whole: send exactly the model's bytes, moved
    // rather than copied (a ResNet-50 is 94 MB that would otherwise exist twice while loading)
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    created = await call<typeof created>({ bytes: own, threads, providers }, [own.buffer as ArrayBuffer]);
  } catch (e) {
    await terminate();
    throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    ...created,
    threads,
    run: (inputName, input, outputs) => call({ inputName, data: input.data, dims: input.dims, outputs }),
    release: terminate,
  };
}
