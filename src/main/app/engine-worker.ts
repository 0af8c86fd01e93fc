// The engine in a worker thread, so JS-heavy parts of a job (accumulators, probes, training loops)
// never block the main process that draws menus and answers the window.
import { parentPort, workerData } from 'node:worker_threads';
import { dispatch } from '../engine/dispatch.js';
import { createEngine, type EngineOptions } from '../engine/index.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort!;
const engine = createEngine(workerData as EngineOptions);
engine.jobs.subscribe((progress) => port.postMessage({ progress } satisfies WorkerReply));
port.on('message', (msg: WorkerRequest) => {
  void dispatch(engine, msg.method, msg.req).then((env) => port.postMessage({ id: msg.id, env } satisfies WorkerReply));
});
