// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU.
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { providerOrder, sessionOptions, sessionThreads, type Provider, type RuntimeOptions } from '../infer/providers.js';

export type { RuntimeOptions };

export interface OrtSession {
  session: ort.InferenceSession;
  provider: Provider;
}

export async function ortSession(bytes: Uint8Array, what: string, opts: RuntimeOptions = {}): Promise<OrtSession> {
  const threads = sessionThreads(opts);
  for (const provider of providerOrder(opts)) {
    try {
      return { session: await ort.InferenceSession.create(bytes, sessionOptions(threads, provider)), provider };
    } catch (e) {
      // CUDA's library is there but no device or driver: the CPU comes next
      if (provider === 'cpu') throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
    }
  }
  throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: no execution provider`);
}
