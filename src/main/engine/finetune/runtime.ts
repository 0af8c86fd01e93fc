// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU, where the Convs
// move to onnxruntime's blocked-layout kernels (nchwc.ts) and the rearrangements of the weights and
// their gradients to JS (rearrange.ts): `run` does those.
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
import { hoistRearrangements, runHoisted, type Edges } from './rearrange.js';

export type { RuntimeOptions };

/** The edges of a graph run as it is (CUDA): nothing rearranged in JS. */
const NO_EDGES: Edges = { inputs: [], outputs: [], unread: [] };

/** What a CPU session loaded: the graph's bytes and the rearrangements done in JS at its edges. */
export interface CpuGraph {
  bytes: Uint8Array;
  edges: Edges;
}

export interface OrtSession {
  session: ort.InferenceSession;
  provider: Provider;
  /** session.run with the rearrangements taken out of the graph done in JS. */
  run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<ort.InferenceSession.ReturnType>;
  /** On the CPU provider: the graph as loaded, for more sessions of it (shards.ts). */
  cpu?: CpuGraph;
}

async function openSession(
  model: ModelProto,
  threads: number,
  provider: Provider,
  extra: ort.InferenceSession.SessionOptions,
): Promise<{ session: ort.InferenceSession; cpu?: CpuGraph }> {
  const options = { ...sessionOptions(threads, provider, true), ...extra };
  if (provider !== 'cpu') return { session: await ort.InferenceSession.create(encodeModel(model), options) };
  const open = async (m: ModelProto) => {
    const { model: hoisted, ...edges } = hoistRearrangements(m);
    const bytes = encodeModel(hoisted);
    return { session: await ort.InferenceSession.create(bytes, options), cpu: { bytes, edges } };
  };
  const block = await nchwcBlockSize();
  const blocked = block > 0 ? blockedConvs(model, block) : model;
  if (blocked !== model) {
    try {
      return await open(blocked);
    } catch {
      // a Conv the blocked kernel refuses: the graph as it was still runs
    }
  }
  return open(model);
}

/** `extra`: more onnxruntime session options (the benchmark's profiler). */
export async function ortSession(
  model: ModelProto,
  what: string,
  opts: RuntimeOptions = {},
  extra: ort.InferenceSession.SessionOptions = {},
): Promise<OrtSession> {
  const threads = sessionThreads(opts);
  for (const provider of providerOrder(opts)) {
    try {
      const { session, cpu } = await openSession(model, threads, provider, extra);
      const edges = cpu?.edges ?? NO_EDGES;
      return { session, provider, run: (feeds, fetches) => runHoisted(session, edges, feeds, fetches), cpu };
    } catch (e) {
      // CUDA's library is there but no device or driver: the CPU comes next
      if (provider === 'cpu')
        throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
    }
  }
  throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: no execution provider`);
}
