// Size and compute of a model, the before/after figures of a prune, counted as `inspect` counts them:
// parameters = elements of the float initializers; FLOPs = units/estimateFlops (2 x MACs of
// Conv, Gemm and MatMul for one sample).
import { DataType, elementCount, indexModel, type GraphIndex, type ModelProto } from '../onnx/index.js';
import { estimateFlops } from '../units/index.js';

export interface ModelCost {
  params: number;
  flops: number;
}

const FLOAT_TYPES = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/** `index`: the proto's index when the caller has one (its shapes are inferred once). */
export function modelCost(proto: ModelProto, index: GraphIndex = indexModel(proto)): ModelCost {
  let params = 0;
  for (const t of index.graph.initializer) if (FLOAT_TYPES.has(t.data_type)) params += elementCount(t);
  return { params, flops: estimateFlops(index) };
}
