// Size and compute of a model, the before/after figures of a prune: parameters = elements of the
// float initializers; FLOPs = 2 x multiply-accumulates of Conv, Gemm and MatMul for one sample
// (symbolic batch dims taken as 1), from the statically inferred shapes.
import { attrInt, DataType, indexModel, type GraphIndex, type ModelProto } from '../onnx/index.js';

export interface ModelCost {
  params: number;
  flops: number;
}

export function modelCost(proto: ModelProto): ModelCost {
  const probe = indexModel(proto);
  const inputShapes = Object.fromEntries(
    probe.inputs().map((i) => [i.name, (probe.shape(i.name) ?? []).map((d) => (typeof d === 'number' ? d : 1))]),
  );
  const index = indexModel(proto, inputShapes);
  let params = 0;
  for (const t of proto.graph!.initializer) {
    if (t.data_type === DataType.FLOAT || t.data_type === DataType.FLOAT16 || t.data_type === DataType.BFLOAT16) {
      params += t.dims.reduce((a: number, d) => a * Number(d), 1);
    }
  }
  let macs = 0;
  for (const n of index.topologicalOrder()) macs += nodeMacs(index, n);
  return { params, flops: 2 * macs };
}

function nodeMacs(index: GraphIndex, n: GraphIndex['graph']['node'][number]): number {
  const out = index.shape(n.output[0]);
  const w = index.shape(n.input[1] ?? '');
  if (!out || !w || out.some((d) => typeof d !== 'number') || w.some((d) => typeof d !== 'number')) return 0;
  const outSize = (out as number[]).reduce((a, b) => a * b, 1);
  const wd = w as number[];
  switch (n.op_type) {
    case 'Conv':
      // Each output element: (Cin / group) * kernel MACs = the weight's size per output channel.
      return (outSize * wd.slice(1).reduce((a, b) => a * b, 1));
    case 'Gemm':
      return outSize * (attrInt(n, 'transB', 0) ? wd[1] : wd[0]);
    case 'MatMul':
      return outSize * wd[wd.length - 2];
    default:
      return 0;
  }
}
