// onnxruntime-node sessions: CUDA when its provider loads, else CPU (DESIGN.md "infer/").
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';

export interface SessionOptions {
  /** Intra-op threads; default: MEMLENS_THREADS, else every core. */
  threads?: number;
  /** Force the CPU provider (benchmarks that compare against CPU-only references). */
  cpuOnly?: boolean;
}

export interface Session {
  ort: ort.InferenceSession;
  provider: 'cuda' | 'cpu';
  threads: number;
}

/**
 * onnxruntime-node lists 'cuda' even where its provider library was not installed (it is an
 * optional download), and a failed load prints a native error; so look for the library first.
 */
function cudaInstalled(): boolean {
  try {
    if (!ort.listSupportedBackends().some((b) => b.name === 'cuda')) return false;
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/**
 * Creates a session for a model given as bytes (`what` names it in errors). A failed CUDA start
 * (library present but no usable device or CUDA runtime) falls back to CPU instead of failing the job.
 */
export async function createSession(bytes: Uint8Array, opts: SessionOptions = {}, what = 'model'): Promise<Session> {
  const threads = opts.threads ?? (Number(process.env.MEMLENS_THREADS) || availableParallelism());
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  if (!opts.cpuOnly && cudaInstalled()) {
    try {
      const s = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda', 'cpu'] });
      return { ort: s, provider: 'cuda', threads };
    } catch {
      // no CUDA library or device here: CPU below
    }
  }
  try {
    const s = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
    return { ort: s, provider: 'cpu', threads };
  } catch (e) {
    throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
  }
}
