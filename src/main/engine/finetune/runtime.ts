// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU, where the Convs
// move to onnxruntime's blocked-layout kernels (nchwc.ts).
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import {
  providerOrder,
  sessionOptions,
  sessionThreads,
  type Provider,
  type RuntimeOptions,
} from '../infer/providers.js';
import { encodeModel } from '../onnx/codec.js';
import type { ModelProto } from '../onnx/schema.js';
import { blockedConvs, nchwcBlockSize } from './nchwc.js';

export type { RuntimeOptions };

export interface OrtSession {
  session: ort.InferenceSession;
  provider: Provider;
}

async function openSession(model: ModelProto, threads: number, provider: Provider): Promise<ort.InferenceSession> {
  const options = sessionOptions(threads, provider, true);
  const block = provider === 'cpu' ? await nchwcBlockSize() : 0;
  const blocked = block > 0 ? blockedConvs(model, block) : model;
  if (blocked !== model) {
    try {
      return await ort.InferenceSession.create(encodeModel(blocked), options);
    } catch {
      // a Conv the blocked kernel refuses: the graph as it was still runs
    }
  }
  return ort.InferenceSession.create(encodeModel(model), options);
}

export async function ortSession(model: ModelProto, what: string, opts: RuntimeOptions = {}): Promise<OrtSession> {
  const threads = sessionThreads(opts);
  for (const provider of providerOrder(opts)) {
    try {
      return { session: await openSession(model, threads, provider), provider };
    } catch (e) {
      // CUDA's library is there but no device or driver: the CPU comes next
      if (provider === 'cpu')
        throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
    }
  }
  throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: no execution provider`);
}
