// onnxruntime sessions for the training models. These take several named inputs per run (images,
// labels, every trainable tensor), which the single-input worker sessions of infer/ do not, so they
// run on the calling thread. CUDA when its provider library is installed, else CPU, where the Convs
// move to onnxruntime's blocked-layout kernels (nchwc.ts).
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { providerOrder, sessionOptions, sessionThreads, type Provider, type RuntimeOptions } from '../infer/providers.js';
import { encodeModel } from '../onnx/codec.js';
import { create, DataType, type ModelProto } from '../onnx/schema.js';
import { blockedConvs, NCHWC_DOMAIN } from './nchwc.js';

export type { RuntimeOptions };

export interface OrtSession {
  session: ort.InferenceSession;
  provider: Provider;
}

let blockSize: Promise<number> | undefined;

/**
 * The channel block of onnxruntime's NCHWc CPU kernels here (8 with AVX2, 16 with AVX-512; MLAS
 * picks it by CPU), read off ReorderInput, which pads 4 channels up to one block. 0 where the
 * kernels are missing (a build without contrib ops).
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    const dims = [1, 4, 1, 1];
    const value = (name: string) =>
      create('ValueInfoProto', { name, type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } }) });
    const model = create('ModelProto', {
      ir_version: 8,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 }), create('OperatorSetIdProto', { domain: NCHWC_DOMAIN, version: 1 })],
      graph: create('GraphProto', {
        name: 'nchwc-block',
        node: [create('NodeProto', { op_type: 'ReorderInput', domain: NCHWC_DOMAIN, input: ['x'], output: ['y'] })],
        input: [value('x')],
        output: [create('ValueInfoProto', { name: 'y' })],
      }),
    });
    try {
      const session = await ort.InferenceSession.create(encodeModel(model), sessionOptions(1, 'cpu'));
      const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), dims) });
      await session.release();
      return y.dims[1];
    } catch {
      return 0;
    }
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
