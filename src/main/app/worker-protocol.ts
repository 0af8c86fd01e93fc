import { API_METHODS, type ApiMethod, type Envelope, type MemLensApi, type Progress } from '../../shared/api.js';
import { unwrap } from '../../shared/envelope.js';

export interface WorkerRequest {
  id: number;
  method: ApiMethod;
  req: unknown;
}
export type WorkerReply = { id: number; env: Envelope<unknown> } | { progress: Progress };

/** The part of a worker_threads Worker used here (tests pass a fake). */
export interface PortLike {
  postMessage(msg: WorkerRequest): void;
  on(event: 'message', listener: (msg: WorkerReply) => void): void;
}

/** The API as seen from the main process: each call is a message to the engine worker. */
export function workerApi(port: PortLike, onProgress: (p: Progress) => void): MemLensApi {
  const pending = new Map<number, (env: Envelope<unknown>) => void>();
  let next = 1;
  port.on('message', (msg) => {
    if ('progress' in msg) onProgress(msg.progress);
    else {
      pending.get(msg.id)?.(msg.env);
      pending.delete(msg.id);
    }
  });
  const call = (method: ApiMethod) => (req?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, (env) => {
        try {
          resolve(unwrap(env, method));
        } catch (e) {
          reject(e);
        }
      });
      port.postMessage({ id, method, req });
    });
  return Object.fromEntries(API_METHODS.map((m) => [m, call(m)])) as unknown as MemLensApi;
}
