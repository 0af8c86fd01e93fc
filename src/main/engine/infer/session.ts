// onnxruntime-node sessions: CUDA when its provider loads, else CPU (DESIGN.md "infer/").
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';

export interface SessionOptions {
  /** Intra-op threads; default: every core. */
  threads?: number;
  /** Force the CPU provider (benchmarks that compare against CPU-only references). */
  cpuOnly?: boolean;
}

export interface Session {
  ort: ort.InferenceSession;
  provider: 'cuda' | 'cpu';
  threads: number;
}

function cudaListed(): boolean {
  try {
    return ort.listSupportedBackends().some((b) => b.name === 'cuda');
  } catch {
    return false;
  }
}

/**
 * Creates a session for a model given as bytes (`what` names it in errors). The CUDA provider is
 * listed by onnxruntime-node even where its shared library is missing, so a failed CUDA start
 * falls back to CPU instead of failing the job.
 */
export async function createSession(bytes: Uint8Array, opts: SessionOptions = {}, what = 'model'): Promise<Session> {
  const threads = opts.threads ?? availableParallelism();
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  if (!opts.cpuOnly && cudaListed()) {
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
