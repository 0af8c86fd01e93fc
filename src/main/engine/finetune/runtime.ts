// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';

export interface RuntimeOptions {
  threads?: number;
  cpuOnly?: boolean;
}

function cudaLibrary(): boolean {
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    return existsSync(join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

export interface OrtSession {
  session: ort.InferenceSession;
  provider: 'cuda' | 'cpu';
}

export async function ortSession(bytes: Uint8Array, what: string, opts: RuntimeOptions = {}): Promise<OrtSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? (Number(process.env.MEMLENS_THREADS) || availableParallelism()),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  if (!opts.cpuOnly && cudaLibrary()) {
    try {
      return { session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda', 'cpu'] }), provider: 'cuda' };
    } catch {
      // the library is there but no device or driver: CPU below
    }
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] }), provider: 'cpu' };
  } catch (e) {
    throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
  }
}
