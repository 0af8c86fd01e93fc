// Measurable layers (docs/METRICS.md "Layers and activations"): every Conv, Gemm and MatMul whose weight is a constant. Its units
// are output channels (Conv: weight dim 0) or output features (Gemm: dim 0 with transB, else dim 1;
// MatMul: the weight's last dim).
import { attrInt, elementCount, type GraphIndex, type NodeProto, type TensorProto } from '../onnx/index.js';
import { activationChain } from './chain.js';

export interface WeightLayer {
  node: NodeProto;
  op: 'Conv' | 'Gemm' | 'MatMul';
  weight: TensorProto;
  units: number;
  /** Weight plus bias elements (the bias of a MatMul is the constant Add after it). */
  params: number;
  /** The weight constant and the bias constant where there is one. */
  weights: string[];
  /** Conv with one input channel per group and more than one group. */
  depthwise: boolean;
  /** The activation tensor (end of the per-channel chain after the node). */
  tensor: string;
  /** True when the chain contains a nonlinearity (Relu, Gelu, ...), not only bias/BN. */
  activated: boolean;
}

function size(index: GraphIndex, name: string | undefined): number {
  const t = name ? index.constantTensor(name) : undefined;
  return t ? elementCount(t) : 0;
}

/**
 * Where a layer's output folds tokens into the batch ([T*B, C], as torchvision's attention output
 * projection computes), the first tensor after it, through Reshape/Transpose only, whose leading dim
 * is the batch again ([B, T, C]): per-sample activations, as every metric needs.
 */
function unfoldBatch(index: GraphIndex, tensor: string): string {
  const batch = index.shape(index.inputs()[0]?.name ?? '')?.[0];
  let t = tensor;
  for (let depth = 0; depth < 4; depth++) {
    const lead = index.shape(t)?.[0];
    if (batch === undefined || lead === undefined || lead === batch) return t;
    const next = index.consumers(t).filter((n) => n.op_type !== 'Shape');
    if (next.length !== 1 || (next[0].op_type !== 'Reshape' && next[0].op_type !== 'Transpose')) return tensor;
    t = next[0].output[0];
  }
  return tensor;
}

/** The layer `node` is, or undefined when it is not a Conv/Gemm/MatMul with a constant weight. */
export function weightLayer(index: GraphIndex, node: NodeProto): WeightLayer | undefined {
  const op = node.op_type;
  if ((op !== 'Conv' && op !== 'Gemm' && op !== 'MatMul') || node.domain) return undefined;
  const weight = index.constantTensor(node.input[1]);
  if (!weight || weight.dims.length < 2) return undefined;
  const dims = weight.dims.map(Number);
  const units =
    op === 'Conv' ? dims[0] : op === 'Gemm' ? (attrInt(node, 'transB', 0) ? dims[0] : dims[1]) : dims[dims.length - 1];
  const chain = activationChain(index, node.output[0], units);
  const bias = op === 'MatMul' ? chain.find((s) => s.kind === 'bias' && s.nodes[0].op_type === 'Add') : undefined;
  const biasInput = bias && bias.nodes[0].input.find((i) => index.isConstant(i));
  const group = op === 'Conv' ? attrInt(node, 'group', 1) : 1;
  const biasName = op === 'MatMul' ? biasInput : node.input[2] || undefined;
  return {
    node,
    op,
    weight,
    units,
    params: elementCount(weight) + size(index, biasName),
    weights: [node.input[1], ...(biasName && index.isConstant(biasName) ? [biasName] : [])],
    depthwise: group > 1 && dims[1] === 1,
    tensor: unfoldBatch(index, chain.length ? chain[chain.length - 1].tensor : node.output[0]),
    activated: chain.some((s) => s.kind === 'activation'),
  };
}
