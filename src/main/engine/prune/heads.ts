// Attention heads as channels (docs/PRUNING.md, "Attention heads"). A fused q/k/v projection
// (nn.MultiheadAttention's in_proj, timm's qkv Linear) of 3*D units splits each of q, k and v into
// H heads of D/H units; head h is units s*D + h*D/H + j of it (s = q, k, v) and rows h*D/H + j of
// the output projection's input. The graph between them reshapes by the head count, which torch
// exports as python-int constants (H in a Concat of the target shape or in `batch * H`) next to
// the stream width read from a Shape (D in `[batch, tokens, D]` before the output projection).
// Cutting heads shrinks the first to the heads kept and makes the second -1; the head size,
// computed as D / H from the unchanged stream width, stays right. Anything else stays unrecognized
// and the ordinary walk (groups.ts) blocks it.
import { DataType, tensorToInts, type GraphIndex, type NodeProto } from '../onnx/index.js';
import type { Group } from './groups.js';
import { paramTensor, perChannelAxis, type LayerNode } from './layers.js';

/** What a head group rewrites in the graph when heads are cut. */
export interface HeadShapes {
  /** Heads before cutting. */
  count: number;
  /** Integer constants holding the head count in shape arithmetic: they become the heads kept. */
  counts: string[];
  /** Concat inputs that hold the attention width of the output projection's input: they become -1. */
  widths: { node: NodeProto; input: number }[];
}

/** One group per fused q/k/v layer whose heads can be cut; `layers` loses nothing here. */
export function buildHeadGroups(index: GraphIndex, layers: LayerNode[]): Group[] {
  const byNode = new Map(layers.map((l) => [l.node, l]));
  return layers.flatMap((l) => headGroup(index, l, byNode) ?? []);
}

function headGroup(index: GraphIndex, qkv: LayerNode, byNode: Map<NodeProto, LayerNode>): Group | undefined {
  if (qkv.channelAxis !== -1 || qkv.units % 3 !== 0 || qkv.depthwise || qkv.grouped) return undefined;
  const width = qkv.units / 3;
  // The nodes between the q/k/v projection and the layers its output reaches.
  const region = new Set<NodeProto>();
  const reached = new Set<LayerNode>();
  const queue = [qkv.node.output[0]];
  while (queue.length) {
    for (const c of index.consumers(queue.pop()!)) {
      const layer = byNode.get(c);
      if (layer) reached.add(layer);
      else if (!region.has(c)) {
        region.add(c);
        queue.push(...c.output);
      }
    }
  }
  const [proj] = reached;
  if (reached.size !== 1 || proj.channelAxis !== -1 || proj.transA) return undefined;
  if (Number(paramTensor(index, proj.weight)!.dims[proj.inAxis]) !== width) return undefined;
  const shapes = headShapes(index, region, proj, width);
  if (!shapes) return undefined;
  const dim = width / shapes.count;
  const bias = biasOf(index, qkv);
  const maps = [0, 1, 2].map((s) => ({ offset: s * width, block: dim, inner: 1 }));
  return {
    channels: shapes.count,
    sources: maps.map((map) => ({ layer: qkv, map })),
    followers: [],
    slices: [
      ...maps.map((map) => ({ param: qkv.weight, axis: qkv.outAxis, ...map })),
      ...(bias ? maps.map((map) => ({ param: bias.param, axis: bias.axis, ...map })) : []),
      { param: proj.weight, axis: proj.inAxis, offset: 0, block: dim, inner: 1 },
    ],
    tensors: [...region].flatMap((n) => n.output),
    groupAttrs: [],
    reshapes: [],
    norms: [],
    outputs: [],
    heads: shapes,
  };
}

/**
 * The head count H (the divisor of `width` in the head-size Div), its other constants in the
 * Reshape targets of the region, and the width entry of the target the output projection reads.
 */
function headShapes(index: GraphIndex, region: Set<NodeProto>, proj: LayerNode, width: number): HeadShapes | undefined {
  const targets = [...region].filter((n) => n.op_type === 'Reshape');
  const arithmetic = new Set(targets.flatMap((r) => shapeNodes(index, r.input[1])));
  const scalar = (name: string) => {
    const t = index.constantTensor(name);
    return t?.data_type === DataType.INT64 && t.dims.every((d) => Number(d) === 1) ? tensorToInts(t)[0] : undefined;
  };
  const divisors = new Set([...arithmetic].filter((n) => n.op_type === 'Div').map((n) => scalar(n.input[1])));
  const candidates = [...divisors].filter((h): h is number => h !== undefined && h > 1 && width % h === 0);
  if (candidates.length !== 1) return undefined;
  const count = candidates[0];
  const counts = [...arithmetic]
    .filter((n) => n.op_type === 'Mul' || n.op_type === 'Concat')
    .flatMap((n) => n.input.filter((i) => index.producer(i)?.op_type === 'Constant' && scalar(i) === count));
  // A head count read outside these shapes too would change there: not rewritten, not recognized.
  if (!counts.length || counts.some((c) => index.consumers(c).some((n) => !arithmetic.has(n)))) return undefined;
  // The Reshape that makes the output projection's input: its last entry, read from the stream, is
  // the attention width; it becomes -1, so no other entry may be.
  const last = targets.find((r) => r.output[0] === proj.node.input[0]);
  const concat = last && index.producer(last.input[1]);
  if (
    concat?.op_type !== 'Concat' ||
    concat.input.some((i) => index.constantTensor(i) && tensorToInts(index.constantTensor(i)!).includes(-1))
  )
    return undefined;
  if (index.constantTensor(concat.input[concat.input.length - 1])) return undefined;
  return { count, counts: [...new Set(counts)], widths: [{ node: concat, input: concat.input.length - 1 }] };
}

/** The nodes computing a shape tensor, back to Shape nodes and constants. */
function shapeNodes(index: GraphIndex, tensor: string): NodeProto[] {
  const out: NodeProto[] = [];
  const queue = [tensor];
  while (queue.length) {
    const p = index.producer(queue.pop()!);
    if (!p || p.op_type === 'Shape' || p.op_type === 'Constant' || out.includes(p)) continue;
    out.push(p);
    queue.push(...p.input);
  }
  return out;
}

/** The bias of a MatMul projection: the per-unit constant of the Add that follows it. */
function biasOf(index: GraphIndex, layer: LayerNode): { param: string; axis: number } | undefined {
  if (layer.bias) return { param: layer.bias, axis: paramTensor(index, layer.bias)!.dims.length - 1 };
  const [add] = index.consumers(layer.node.output[0]);
  if (add?.op_type !== 'Add') return undefined;
  const param = add.input.find((i) => paramTensor(index, i));
  const axis = param === undefined ? undefined : perChannelAxis(index, param, -1);
  return param === undefined || axis === undefined ? undefined : { param, axis };
}
