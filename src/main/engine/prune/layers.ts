// The prunable layers of a graph as the pruner sees them: the node, its weight and bias and the axes
// that hold its output units, and the per-channel chain after it (what masking must zero so that
// the unit's activation is exactly zero).
import { attrInt, type GraphIndex, type ModelProto, type NodeProto, type TensorProto } from '../onnx/index.js';
import { opsWith, opTraits } from '../onnx/op-traits.js';
import { discoverLayers, weightLayer } from '../units/index.js';

export interface LayerNode {
  /** The layer's name as results use it (units/discoverLayers). */
  name: string;
  node: NodeProto;
  /** Weight constant, the axis of it that indexes the output units and the one that reads inputs. */
  weight: string;
  outAxis: number;
  inAxis: number;
  /** Bias constant (Conv B, Gemm C) indexed by unit along its last axis, when there is one. */
  bias?: string;
  units: number;
  /** Position of the unit axis in the output tensor, counted from the end (-3 for NCHW, -1 for linear). */
  channelAxis: number;
  /** Rank of the output tensor where the op fixes it (Conv, Gemm). */
  rank?: number;
  /** Depthwise conv (group = input channels): each output channel follows one input channel. */
  depthwise?: { multiplier: number };
  /** Conv with 1 < group < input channels: its channels cannot be cut one at a time. */
  grouped?: number;
  /** Gemm reading its input transposed: its input slices are not rows. */
  transA?: boolean;
}

/** The prunable layers, in forward order, named as units/discoverLayers names them (and results do). */
export function findLayers(model: { proto: ModelProto }, index: GraphIndex): LayerNode[] {
  // The layer records of units/ name each node; found by the node's output, not by list position.
  const names = new Map(
    discoverLayers(model, index)
      .filter((l) => l.prunable)
      .map((l) => [l.output, l.name]),
  );
  return index.topologicalOrder().flatMap((n) => {
    const l = asLayer(index, n);
    return l ? [{ ...l, name: names.get(n.output[0]) ?? l.name }] : [];
  });
}

export function asLayer(index: GraphIndex, node: NodeProto): LayerNode | undefined {
  const w = weightLayer(index, node);
  if (!w) return undefined;
  const dims = w.weight.dims.map(Number);
  const base = { name: node.name || node.output[0], node, weight: node.input[1], units: w.units };
  const bias = node.input[2] && perChannelAxis(index, node.input[2], -1) !== undefined ? node.input[2] : undefined;
  if (w.op === 'Conv') {
    const group = attrInt(node, 'group', 1);
    const inputs = dims[1] * group;
    const layer: LayerNode = {
      ...base,
      outAxis: 0,
      inAxis: 1,
      bias,
      channelAxis: -(dims.length - 1),
      rank: dims.length,
    };
    if (w.depthwise && dims[0] % inputs === 0) layer.depthwise = { multiplier: dims[0] / inputs };
    else if (group > 1) layer.grouped = group;
    return layer;
  }
  if (w.op === 'Gemm') {
    const transB = attrInt(node, 'transB', 0) === 1;
    return {
      ...base,
      outAxis: transB ? 0 : 1,
      inAxis: transB ? 1 : 0,
      bias,
      channelAxis: -1,
      rank: 2,
      transA: attrInt(node, 'transA', 0) === 1,
    };
  }
  return { ...base, outAxis: dims.length - 1, inAxis: dims.length - 2, channelAxis: -1 };
}

/** Op trait sets the pruner tests membership in (onnx/op-traits.ts holds the one table). */
// Pad is per channel only while its pads leave the channel axis alone (groups.ts checks them), so
// it is the pruner's own addition rather than a trait.
export const CHANNELWISE = new Set([...opsWith((t) => t.channelwise === true), 'Pad']);
export const ELEMENTWISE = opsWith((t) => t.elementwise === true);
export const CHANNEL_PARAMS: Record<string, number[] | undefined> = Object.fromEntries(
  [...opsWith((t) => t.channelParams !== undefined)].map((op) => [op, opTraits(op).channelParams]),
);

/** A per-unit parameter to zero when masking: `param` indexed on `axis` by the unit. */
export interface UnitParam {
  param: string;
  axis: number;
  /** Units of the layer per index of this parameter (depthwise followers with multiplier m > 1). */
  block: number;
}

/**
 * What masking zeroes for a unit: the layer's weight slice and bias, then along the single-consumer
 * per-channel chain after it BatchNorm's scale and shift, constant bias Adds and depthwise convs, so
 * that the activation is exactly zero (Relu/Gelu/pooling of 0 is 0). The paper's reference code
 * zeroes conv weight, bias and BN gamma/beta; following the chain through depthwise convs keeps
 * mask and structural exports equal when a channel is cut.
 */
export function unitParams(index: GraphIndex, layer: LayerNode): UnitParam[] {
  const out: UnitParam[] = [{ param: layer.weight, axis: layer.outAxis, block: 1 }];
  if (layer.bias) out.push({ param: layer.bias, axis: paramTensor(index, layer.bias)!.dims.length - 1, block: 1 });
  let block = 1;
  let tensor = layer.node.output[0];
  for (;;) {
    const next = index.consumers(tensor);
    if (next.length !== 1 || index.graph.output.some((o) => o.name === tensor)) return out;
    const n = next[0];
    // Binary ops: the constant may come first (torch writes Add(bias, x)); x / c and c - x keep 0 -> 0
    // once c is zeroed, c / x does not.
    const constant = n.input.length === 2 ? n.input.find((i) => i !== tensor && paramTensor(index, i)) : undefined;
    if (CHANNEL_PARAMS[n.op_type]) {
      if (n.input[0] !== tensor) return out;
      // Scale and shift (inputs 1, 2) zeroed: the normalized output is exactly 0 whatever the input.
      for (const i of [1, 2]) if (paramTensor(index, n.input[i])) out.push({ param: n.input[i], axis: 0, block });
    } else if (n.op_type === 'Add' || n.op_type === 'Sub') {
      // A per-channel bias is zeroed; a broadcast constant would make the output non-zero: stop.
      const axis = constant ? perChannelAxis(index, constant, layer.channelAxis) : undefined;
      if (axis === undefined) return out;
      out.push({ param: constant!, axis, block });
    } else if (n.op_type === 'Mul' || n.op_type === 'Div') {
      if (!constant || (n.op_type === 'Div' && n.input[0] !== tensor)) return out;
    } else if (n.op_type === 'Conv') {
      const dw = asLayer(index, n)?.depthwise;
      if (!dw) return out;
      block *= dw.multiplier;
      out.push({ param: n.input[1], axis: 0, block });
      if (n.input[2]) out.push({ param: n.input[2], axis: 0, block });
    } else if (!CHANNELWISE.has(n.op_type) || ELEMENTWISE.has(n.op_type)) {
      return out;
    }
    tensor = n.output[0];
  }
}

/** The axis of a constant that holds one value per channel (broadcast from the right), if it does. */
export function perChannelAxis(index: GraphIndex, name: string, channelAxis: number): number | undefined {
  const dims = paramTensor(index, name)?.dims.map(Number);
  if (!dims) return undefined;
  const axis = dims.length + channelAxis;
  return axis >= 0 && dims[axis] > 1 ? axis : undefined;
}

/**
 * A constant parameter as a node reads it: an initializer, a Constant, or an Identity of one (torch's
 * exporter shares equal initializers, e.g. the zero biases of folded BN, through Identity nodes).
 */
export function paramTensor(index: GraphIndex, name: string): TensorProto | undefined {
  const direct = index.constantTensor(name);
  if (direct) return direct;
  const p = index.producer(name);
  return p?.op_type === 'Identity' ? index.constantTensor(p.input[0]) : undefined;
}
