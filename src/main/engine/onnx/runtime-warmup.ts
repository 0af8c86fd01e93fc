// onnxruntime's first session in a process pays for its one-time set-up (the environment, the CPU
// kernel registry, MLAS): ~100 ms of the prune CLI, on top of opening the model itself. The set-up
// is process-wide, so a one-node model opened on a worker thread while the caller loads and prunes
// leaves saveModel's check (model-file.ts) only its own model to open (docs/PRUNING.md).
import { Worker } from 'node:worker_threads';
import { ortModulePath } from '../infer/providers.js';
import { encodeModel } from './codec.js';
import { create, DataType } from './schema.js';

// Self-contained, like infer/session.ts's worker: the same code runs from the sources, the CLI
// bundle and the Electron build.
const WORKER = `
const { workerData } = require('node:worker_threads');
require(workerData.ort).InferenceSession.create(workerData.model).then((s) => s.release(), () => {});`;

let warming: Promise<void> | undefined;

/** Starts the set-up on a worker thread, once per process; a failure is left to the real session. */
export function warmRuntime(): void {
  warming ??= new Promise<void>((done) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { ort: ortModulePath(), model: reluModel() } });
    worker.on('exit', () => done());
    worker.on('error', () => done());
  });
}

/** Resolves once a warm-up that was started has ended (at once when none was). */
export function runtimeWarmed(): Promise<void> {
  return warming ?? Promise.resolve();
}

/** y = Relu(x) on one float: the least a session can open. */
function reluModel(): Uint8Array {
  const value = (name: string) =>
    create('ValueInfoProto', {
      name,
      type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_value: 1 }] } } }),
    });
  return encodeModel(
    create('ModelProto', {
      ir_version: 8,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
      graph: create('GraphProto', {
        name: 'warm-up',
        node: [create('NodeProto', { op_type: 'Relu', input: ['x'], output: ['y'] })],
        input: [value('x')],
        output: [value('y')],
      }),
    }),
  );
}
