// The per-channel chain after a layer (docs/METRICS.md "Layers and activations"): bias/scale by a constant,
// BatchNormalization, then the nonlinearity — including the multi-node forms exporters emit for
// Gelu (x * 0.5 * (1 + erf(x / sqrt 2))) and SiLU (x * sigmoid(x)). The activation tensor is the
// end of that chain: what the paper calls the layer's output.
import { elementCount, type GraphIndex, type NodeProto } from '../onnx/index.js';
import { opTraits } from '../onnx/op-traits.js';

const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div']);

export interface ChainStep {
  /** The tensor after this step. */
  tensor: string;
  nodes: NodeProto[];
  kind: 'bias' | 'norm' | 'activation' | 'pass';
}

/** Readers of `t`'s values: Shape nodes read only its dims (exporters add them for dynamic batches). */
function readers(index: GraphIndex, t: string): NodeProto[] {
  return index.consumers(t).filter((n) => n.op_type !== 'Shape');
}

/** The one consumer of `t`, if exactly one node reads it and it is not also a graph output. */
function only(index: GraphIndex, t: string): NodeProto | undefined {
  const c = readers(index, t);
  return c.length === 1 && !index.graph.output.some((o) => o.name === t) ? c[0] : undefined;
}

/** The input of a binary node that is not `t`. */
function other(n: NodeProto, t: string): string | undefined {
  return n.input.length === 2 ? (n.input[0] === t ? n.input[1] : n.input[0]) : undefined;
}

/** A constant that broadcasts per channel: a scalar or one value per unit. */
function perChannelConstant(index: GraphIndex, name: string | undefined, units: number): boolean {
  const c = name ? index.constantTensor(name) : undefined;
  if (!c) return false;
  const n = elementCount(c);
  return n === 1 || n === units;
}

/** Gelu as Div(x, c) -> Erf -> Add(., 1) -> Mul(x, .) [-> Mul(., 0.5)]; the chain end or undefined. */
function erfGelu(index: GraphIndex, t: string): ChainStep | undefined {
  const users = readers(index, t);
  if (users.length !== 2) return undefined;
  const div = users.find((n) => n.op_type === 'Div' && n.input[0] === t && index.isConstant(n.input[1]));
  const erf = div && only(index, div.output[0]);
  const add = erf?.op_type === 'Erf' ? only(index, erf.output[0]) : undefined;
  const mul = add?.op_type === 'Add' ? only(index, add.output[0]) : undefined;
  if (mul?.op_type !== 'Mul' || !mul.input.includes(t) || !users.includes(mul)) return undefined;
  const half = only(index, mul.output[0]);
  const nodes = [div!, erf!, add!, mul];
  if (half?.op_type === 'Mul' && index.isConstant(other(half, mul.output[0]) ?? '')) nodes.push(half);
  return { tensor: nodes[nodes.length - 1].output[0], nodes, kind: 'activation' };
}

/** SiLU/Swish as Sigmoid(x) -> Mul(x, .). */
function silu(index: GraphIndex, t: string): ChainStep | undefined {
  const users = readers(index, t);
  if (users.length !== 2) return undefined;
  const sig = users.find((n) => n.op_type === 'Sigmoid');
  const mul = sig && only(index, sig.output[0]);
  if (mul?.op_type !== 'Mul' || !mul.input.includes(t) || !users.includes(mul)) return undefined;
  return { tensor: mul.output[0], nodes: [sig!, mul], kind: 'activation' };
}

/** True when `t` feeds a multi-node GELU or SiLU: its Sigmoid is then part of a signed activation. */
export function signedPattern(index: GraphIndex, t: string): boolean {
  return (erfGelu(index, t) ?? silu(index, t)) !== undefined;
}

function step(index: GraphIndex, t: string, units: number): ChainStep | undefined {
  const pattern = erfGelu(index, t) ?? silu(index, t);
  if (pattern) return pattern;
  const n = only(index, t);
  if (!n) return undefined;
  const out = { tensor: n.output[0], nodes: [n] };
  const traits = opTraits(n.op_type);
  if (traits.pass) return { ...out, kind: 'pass' };
  if (traits.activation && n.input[0] === t) return { ...out, kind: 'activation' };
  if (n.op_type === 'BatchNormalization' && n.input[0] === t) return { ...out, kind: 'norm' };
  if (AFFINE.has(n.op_type) && perChannelConstant(index, other(n, t), units)) return { ...out, kind: 'bias' };
  return undefined;
}

/** The steps of the per-channel chain that follows tensor `t` of a layer with `units` channels. */
export function activationChain(index: GraphIndex, t: string, units: number): ChainStep[] {
  const steps: ChainStep[] = [];
  for (let s = step(index, t, units); s; s = step(index, s.tensor, units)) steps.push(s);
  return steps;
}

/** The activation tensor of a layer whose node outputs `t`: the end of its chain. */
export function activationTensor(index: GraphIndex, t: string, units: number): string {
  const steps = activationChain(index, t, units);
  return steps.length ? steps[steps.length - 1].tensor : t;
}
