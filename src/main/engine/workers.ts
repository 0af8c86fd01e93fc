// The engine's own worker threads (view cutting, training shards): each is an entry bundled beside
// every bundle of the engine (scripts/workers.js lists them), so the engine finds it next to the code
// that runs (out/cli, out/main, out/bench), or in MEMLENS_WORKER_DIR (the test setup builds them
// there from the sources). Run from the sources without one, callers do the work in process.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { MemLensError, type ErrorCode } from './errors.js';

/** The built worker `name` (a key of scripts/workers.js), or undefined when there is none. */
export function builtWorker(name: string): string | undefined {
  const env = process.env.MEMLENS_WORKER_DIR;
  const path = join(env ? resolve(env) : dirname(fileURLToPath(import.meta.url)), `${name}.js`);
  return existsSync(path) ? path : undefined;
}

/** What a worker answers to a call: its id and a result, or an error (with the engine's code). */
export interface WorkerReply<T = unknown> {
  id: number;
  result?: T;
  error?: string;
  code?: string;
}

export interface WorkerCalls {
  /** Posts `msg` with an id and resolves with the worker's result for it. */
  call<T>(msg: object, transfer?: TransferListItem[]): Promise<T>;
  terminate(): Promise<void>;
}

/**
 * Request/reply calls to `worker`. It is referenced only while a call is in flight, so an idle
 * worker never keeps the process alive; a call in flight when it stops fails with `stopped`
 * instead of hanging, and so does every later call.
 */
export function workerCalls(worker: Worker, stopped: string): WorkerCalls {
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let nextId = 0;
  let closed = false;
  worker.unref();
  worker.on('message', (m: WorkerReply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error === undefined) p?.ok(m.result);
    else p?.fail(m.code ? new MemLensError(m.code as ErrorCode, m.error) : new Error(m.error));
  });
  const failAll = (e: Error) => {
    pending.forEach((p) => p.fail(e));
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => {
    closed = true;
    failAll(new Error(stopped));
  });
  return {
    call: <T>(msg: object, transfer: TransferListItem[] = []) =>
      new Promise<T>((ok, fail) => {
        if (closed) return fail(new Error(stopped));
        const id = nextId++;
        pending.set(id, { ok: ok as (v: unknown) => void, fail });
        worker.ref();
        worker.postMessage({ ...msg, id }, transfer);
      }),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** Serves `handle` on this worker's port: each message's result or error goes back with its id. */
export function serveCalls<M>(port: MessagePort, handle: (m: M) => unknown): void {
  port.on('message', async (m: M & { id: number }) => {
    let reply: WorkerReply;
    try {
      reply = { id: m.id, result: await handle(m) };
    } catch (e) {
      reply = { id: m.id, error: (e as Error).message, code: (e as { code?: string }).code };
    }
    port.postMessage(reply);
  });
}
