import { API_METHODS, type ApiMethod, type Envelope, type MemLensApi, type Progress } from '../../shared/api.js';
import { ApiError, unwrap } from '../../shared/envelope.js';

export interface WorkerRequest {
  id: number;
  method: ApiMethod;
  req: unknown;
}
export type WorkerReply = { id: number; env: Envelope<unknown> } | { progress: Progress };

/** The part of a worker_threads Worker used here (tests pass a fake or a real Worker). */
export interface PortLike {
  postMessage(msg: WorkerRequest): void;
  on(event: 'message', listener: (msg: WorkerReply) => void): void;
  /** An uncaught exception in the worker, or its heap running out (ERR_WORKER_OUT_OF_MEMORY). */
  on(event: 'error', listener: (e: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
}

/** What a call still waiting for its reply needs when the worker answers or dies. */
interface Pending {
  method: ApiMethod;
  settle(env: Envelope<unknown>): void;
  fail(e: Error): void;
}

/**
 * The API as seen from the main process: each call is a message to the engine worker. `start`
 * makes a worker; when one dies (out of memory, a crash in native code it survived, terminated),
 * every call it left pending is rejected with a one-line error saying so, and the next call starts
 * a new worker (started on demand, so a worker that dies at start-up cannot spin in a restart loop).
 */
export function workerApi(start: () => PortLike, onProgress: (p: Progress) => void): MemLensApi {
  let current: { port: PortLike; pending: Map<number, Pending> } | undefined;
  let next = 1;

  const launch = () => {
    const pending = new Map<number, Pending>();
    const port = start();
    const worker = { port, pending };
    let reason: string | undefined;
    port.on('message', (msg) => {
      if ('progress' in msg) onProgress(msg.progress);
      else {
        pending.get(msg.id)?.settle(msg.env);
        pending.delete(msg.id);
      }
    });
    port.on('error', (e) => (reason = e.message.split('\n')[0]));
    port.on('exit', (code) => {
      if (current === worker) current = undefined;
      for (const call of pending.values()) {
        const why = reason ?? `exit code ${code}`;
        call.fail(
          new ApiError(
            `${call.method}: the engine stopped (${why}); it restarts with the next call, run ${call.method} again`,
            'ENGINE_STOPPED',
          ),
        );
      }
      pending.clear();
    });
    return worker;
  };

  const call = (method: ApiMethod) => (req?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      current ??= launch();
      const id = next++;
      current.pending.set(id, {
        method,
        settle: (env) => {
          try {
            resolve(unwrap(env, method));
          } catch (e) {
            reject(e);
          }
        },
        fail: reject,
      });
      current.port.postMessage({ id, method, req });
    });
  return Object.fromEntries(API_METHODS.map((m) => [m, call(m)])) as unknown as MemLensApi;
}
