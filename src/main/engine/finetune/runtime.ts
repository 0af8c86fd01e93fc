// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU, where the Convs
// move to onnxruntime's blocked-layout kernels (nchwc.ts).
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { providerOrder, sessionOptions, sessionThreads, type Provider, type RuntimeOptions } from '../infer/providers.js';
import { encodeModel } from '../onnx/codec.js';
import { create, DataType, type ModelProto } from '../onnx/schema.js';
import { attribute } from './emit.js';
import { blockedConvs } from './nchwc.js';

export type { RuntimeOptions };

export interface OrtSession {
  session: ort.InferenceSession;
  provider: Provider;
}

let blockSize: Promise<number> | undefined;

/** A 16-channel 3x3 Conv with fed weights: one block at 8 or 16. */
function probeConv(): ModelProto {
  const value = (name: string, dims: number[]) =>
    create('ValueInfoProto', { name, type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } }) });
  return create('ModelProto', {
    ir_version: 8,
    opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    graph: create('GraphProto', {
      name: 'nchwc-probe',
      node: [create('NodeProto', { op_type: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [attribute('pads', [1, 1, 1, 1])] })],
      input: [value('x', [1, 16, 5, 5]), value('w', [16, 16, 3, 3])],
      output: [create('ValueInfoProto', { name: 'y' })],
    }),
  });
}

/**
 * The channel block of onnxruntime's NCHWc CPU kernels here: MLAS picks it by CPU (8 with AVX2, 16
 * with AVX-512) and does not say, so a small Conv is run both ways and the block whose blocked graph
 * gives the plain numbers wins. 0 where none does (no such kernels on this CPU or build).
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    const plain = probeConv();
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from({ length: 400 }, (_, i) => Math.sin(i)), [1, 16, 5, 5]),
      w: new ort.Tensor('float32', Float32Array.from({ length: 2304 }, (_, i) => Math.cos(i)), [16, 16, 3, 3]),
    };
    const run = async (model: ModelProto) => {
      const session = await ort.InferenceSession.create(encodeModel(model), sessionOptions(1, 'cpu'));
      try {
        return (await session.run(feeds)).y.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const want = await run(plain);
    for (const block of [16, 8]) {
      try {
        const got = await run(blockedConvs(plain, block));
        if (want.every((v, i) => Math.abs(v - got[i]) <= 1e-4 * (1 + Math.abs(v)))) return block;
      } catch {
        // kernels missing or refusing this block: try the next
      }
    }
    return 0;
  })();
  return blockSize;
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
      if (provider === 'cpu') throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: ${(e as Error).message}`);
    }
  }
  throw new MemLensError('BAD_MODEL', `onnxruntime cannot load ${what}: no execution provider`);
}
