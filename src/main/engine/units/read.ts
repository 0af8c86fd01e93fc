// Where a layer's units are read, per activation policy (docs/UNITS.md). UnitMem's contrast
// (mu_max - mu_rest) / (mu_max + mu_rest) is a selectivity index over firing rates, so it needs
// non-negative values: the 'rate' policy follows the layer's channels forward to the first tensor a
// non-negative activation makes (its own ReLU; the residual Add's ReLU; the consumer's BN-ReLU after
// a Concat) and, where none comes (GELU, SiLU, linear bottlenecks, signed residual streams), reads
// the layer's own output and takes its positive part in the graph. 'raw' reads the layer's own
// output as it is. The unit axis is where the weight's output dimension lands, not a guess by rank.
import type { ActivationPolicy, UnitRead } from '../../../shared/api.js';
import { sameShape, tensorToInts, tensorToNumbers, type GraphIndex, type NodeProto } from '../onnx/index.js';
import { opTraits } from '../onnx/op-traits.js';
import { signedPattern } from './chain.js';

/** How far past the layer's own chain the rate policy looks for a non-negative tensor. */
const MAX_STEPS = 6;

interface UnitReads {
  read: Record<ActivationPolicy, UnitRead>;
}

/** Where `tensor` is, in the output of a node whose unit axis is `rule`; undefined when its rank is unknown. */
function axisOf(index: GraphIndex, tensor: string, rule: 'channels-first' | 'last'): number | undefined {
  const rank = index.shape(tensor)?.length;
  if (rank === undefined || rank < 2) return undefined;
  return rule === 'channels-first' ? 1 : rank - 1;
}

/** Clip's lower bound (input 1 from opset 11, the `min` attribute before), if it is a known constant. */
function clipMin(index: GraphIndex, n: NodeProto): number | undefined {
  if (n.input[1]) {
    const t = index.constantTensor(n.input[1]);
    return t ? tensorToNumbers(t)[0] : undefined;
  }
  const a = n.attribute.find((x) => x.name === 'min');
  return a ? a.f : undefined;
}

/** True when `n`, reading `t` as its data input, outputs only values >= 0. */
function nonNegative(index: GraphIndex, n: NodeProto, t: string): boolean {
  const sign = opTraits(n.op_type).activation;
  if (n.input[0] !== t || !sign || signedPattern(index, t)) return false;
  if (sign === 'clip-min') return (clipMin(index, n) ?? -1) >= 0;
  return sign === 'non-negative';
}

/** Pad that leaves the unit axis alone (pads given as a constant input or, before opset 11, an attribute). */
function keepsAxis(index: GraphIndex, n: NodeProto, axis: number): boolean {
  const t = n.input[1] ? index.constantTensor(n.input[1]) : undefined;
  const pads = t ? tensorToInts(t) : n.attribute.find((a) => a.name === 'pads')?.ints.map(Number);
  if (!pads || n.input[3]) return false;
  const rank = pads.length / 2;
  return pads[axis] === 0 && pads[axis + rank] === 0;
}

interface Place {
  tensor: string;
  offset: number;
}

/**
 * The next places the unit's channels sit, one step on, through ops that keep channel c at an index
 * of the same axis: per-channel norms and constant bias/scale, a residual Add of two activations of
 * one shape, pools, Pad that leaves the axis alone, and Concat along the axis (shifting the offset).
 */
function onward(index: GraphIndex, p: Place, axis: number, readers: NodeProto[]): Place[] {
  const out: Place[] = [];
  const shape = index.shape(p.tensor);
  for (const n of readers) {
    const traits = opTraits(n.op_type);
    const next = { tensor: n.output[0], offset: p.offset };
    if (n.op_type === 'Concat') {
      const rank = shape?.length ?? 0;
      const at = attrAxis(n, rank);
      if (at !== axis) continue;
      let offset = p.offset;
      for (const i of n.input.slice(0, n.input.indexOf(p.tensor))) {
        const d = index.shape(i)?.[axis];
        if (typeof d !== 'number') {
          offset = NaN;
          break;
        }
        offset += d;
      }
      if (Number.isFinite(offset)) out.push({ tensor: n.output[0], offset });
    } else if (traits.pass || traits.channelParams) {
      if (n.input[0] === p.tensor && (!traits.channelParams || axis === 1)) out.push(next);
    } else if (traits.pool && traits.channelwise) {
      if (axis === 1) out.push(next);
    } else if (n.op_type === 'Pad') {
      if (n.input[0] === p.tensor && keepsAxis(index, n, axis)) out.push(next);
    } else if (
      traits.elementwise &&
      (n.op_type === 'Add' || n.op_type === 'Mul' || n.op_type === 'Sub' || n.op_type === 'Div')
    ) {
      const other = n.input.find((i) => i !== p.tensor);
      if (other === undefined) continue;
      if (index.isConstant(other)) {
        // A bias or scale: Div only with the activation on top (c / x is not per-unit scaling).
        if (n.op_type !== 'Div' || n.input[0] === p.tensor) out.push(next);
      } else if (n.op_type === 'Add' && sameShape(index, p.tensor, other)) out.push(next);
    }
  }
  return out;
}

function attrAxis(n: NodeProto, rank: number): number {
  const a = n.attribute.find((x) => x.name === 'axis');
  const axis = a ? Number(a.i) : 0;
  return axis < 0 ? axis + rank : axis;
}

/**
 * The first non-negative tensor holding the layer's channels, breadth first from its output (the
 * earliest consumer first, so a DenseNet layer is read by the next layer's BN-ReLU); undefined when
 * the path meets a signed nonlinearity or a channel-mixing op first.
 */
function firstRate(index: GraphIndex, output: string, axis: number, order: Map<NodeProto, number>): Place | undefined {
  let frontier: Place[] = [{ tensor: output, offset: 0 }];
  const seen = new Set<string>();
  for (let step = 0; step < MAX_STEPS && frontier.length; step++) {
    const next: Place[] = [];
    for (const p of frontier) {
      const readers = index.consumers(p.tensor).sort((a, b) => order.get(a)! - order.get(b)!);
      const rate = readers.find((n) => nonNegative(index, n, p.tensor));
      if (rate) return { tensor: rate.output[0], offset: p.offset };
      for (const q of onward(index, p, axis, readers)) {
        const key = `${q.tensor}@${q.offset}`;
        if (!seen.has(key)) {
          seen.add(key);
          next.push(q);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * The reads of a layer whose node makes `output`, whose own activation (end of its per-channel
 * chain) is `tensor`, with `units` units on the axis `rule` names; a one-line reason instead when
 * the unit axis cannot be found or does not hold `units` values.
 */
export function unitReads(
  index: GraphIndex,
  output: string,
  tensor: string,
  units: number,
  rule: 'channels-first' | 'last',
  order: Map<NodeProto, number>,
): UnitReads | { reason: string } {
  const axis = axisOf(index, tensor, rule);
  if (axis === undefined) return { reason: `the rank of ${tensor} is unknown, so its unit axis cannot be found` };
  const size = index.shape(tensor)![axis];
  if (typeof size === 'number' && size !== units) {
    return { reason: `${tensor} has ${size} values on axis ${axis}, not the ${units} units its weight makes` };
  }
  const raw: UnitRead = { tensor, axis, offset: 0, transform: 'none' };
  const outAxis = axisOf(index, output, rule);
  const found = outAxis === undefined ? undefined : firstRate(index, output, outAxis, order);
  const rate: UnitRead = found
    ? { tensor: found.tensor, axis: outAxis!, offset: found.offset, transform: 'none' }
    : { ...raw, transform: 'relu' };
  return { read: { raw, rate } };
}
