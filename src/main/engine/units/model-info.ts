// The `inspect` document: what a model is, how big, and its layers.
import type { LayerInfo, ModelInfo } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import {
  DataType,
  dimPerSample,
  elementCount,
  indexModel,
  loadModel,
  opsetVersion,
  type Dim,
  type GraphIndex,
  type OnnxModel,
  type ValueInfoProto,
} from '../onnx/index.js';
import { discoverLayers } from './discover.js';

const FLOAT_TYPES = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/** Elements of a shape with symbolic factors (the batch, also folded as "2*batch") taken as 1. */
function perSample(shape: Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  return shape.reduce<number>((a, d) => a * dimPerSample(d), 1);
}

/**
 * Multiply-accumulates x 2 of every Conv, Gemm and MatMul for one sample: output elements times the
 * length of the dot product behind each (Conv: weight elements per output channel).
 */
export function estimateFlops(index: GraphIndex): number {
  let flops = 0;
  for (const n of index.graph.node) {
    if (n.op_type !== 'Conv' && n.op_type !== 'Gemm' && n.op_type !== 'MatMul') continue;
    const out = perSample(index.shape(n.output[0]));
    const w = index.shape(n.input[1]);
    if (out === undefined || !w) continue;
    const dot =
      n.op_type === 'Conv'
        ? perSample(w)! / Number(w[0])
        : n.op_type === 'Gemm'
          ? Number(
              index.shape(n.input[0])?.[n.attribute.some((a) => a.name === 'transA' && Number(a.i) === 1) ? 0 : 1] ?? 0,
            )
          : Number(w[w.length - 2] ?? w[0]);
    if (Number.isFinite(dot)) flops += 2 * out * dot;
  }
  return flops;
}

function describe(v: ValueInfoProto, index: GraphIndex): ModelInfo['output'] {
  const elem = v.type?.tensor_type?.elem_type as DataType | undefined;
  return {
    name: v.name,
    shape: index.shape(v.name) ?? [],
    type: elem === undefined ? 'unknown' : DataType[elem].toLowerCase(),
  };
}

export function modelInfo(model: OnnxModel, layers?: LayerInfo[]): ModelInfo {
  const index = indexModel(model.proto);
  const input = index.inputs()[0];
  const output = index.graph.output[0];
  // A graph of constants alone has no input and is still a valid model to describe; only the verbs
  // that run images need one (infer/input.ts says so).
  if (!output) throw new MemLensError('BAD_MODEL', `${model.path}: the graph has no output`);
  let params = 0;
  for (const t of index.graph.initializer) if (FLOAT_TYPES.has(t.data_type)) params += elementCount(t);
  const p = model.proto;
  return {
    schema: 'memlens.inspect/1',
    model: { path: model.path, sha256: model.sha256 },
    opset: opsetVersion(p),
    producer: [p.producer_name, p.producer_version].filter(Boolean).join(' '),
    ...(input ? { input: describe(input, index) } : {}),
    output: describe(output, index),
    params,
    flops: estimateFlops(index),
    layers: layers ?? discoverLayers(model, index),
  };
}

/** The API's `inspect` call: load the model and describe it. */
export async function inspectModel(path: string): Promise<ModelInfo> {
  return modelInfo(await loadModel(path));
}
