// Attention as channels (docs/PRUNING.md, "Attention"). A fused q/k/v projection
// (nn.MultiheadAttention's in_proj, timm's qkv Linear) of 3*D units splits each of q, k and v into
// H heads of D/H units; unit j of head h is units s*D + h*D/H + j of it (s = q, k, v) and row
// h*D/H + j of the output projection's input. Separate q, k and v projections (Hugging Face's ViT)
// are the same without s*D: unit h*D/H + j of each. The channels of the group are the heads (unit
// 'heads': head h is its 3*D/H units) or the head dimensions (unit 'dims': dimension j is unit j of
// every head of q, k and v, 3*H units). A dimension is cut from q and k of every head at once, so
// each head's q.k product stays a sum over the same dimensions; v loses it too, and the output
// projection its rows. The graph between the projections reshapes by the head count, which torch
// exports as python-int constants (H in a Concat of the target shape or in `batch * H`), next to
// the stream width read from a Shape (D in `[batch, tokens, D]` before the output projection) and
// the head size computed as that width / H. Cutting writes the head size out as a constant (the
// dimensions kept) and makes the width -1; cutting heads also sets H to the heads kept. The
// softmax scale stays what torch exported (a constant sqrt(D/H), or computed from the unchanged
// head-size division), as in the mask export. Anything else stays unrecognized and the ordinary
// walk (groups.ts) blocks it.
import type { AttentionUnit } from '../../../shared/prune-options.js';
import {
  DataType,
  int64Tensor,
  tensorToInts,
  type GraphIndex,
  type NodeProto,
  type TensorProto,
} from '../onnx/index.js';
import type { ChannelMap, Group, ParamSlice } from './groups.js';
import { paramTensor, perChannelAxis, type LayerNode } from './layers.js';

/** Concat inputs of a shape target, named by their node and position. */
type ShapeEntry = { node: NodeProto; input: number };

/** What an attention group rewrites in the graph when its channels are cut. */
export interface HeadShapes {
  /** What its channels are. */
  unit: AttentionUnit;
  /** Heads before cutting. */
  count: number;
  /** Dimensions of each head before cutting. */
  size: number;
  /** Integer constants holding the head count in shape arithmetic: they become the heads kept. */
  counts: string[];
  /** Concat inputs holding the head size (width / H) in the q, k and v targets: the dimensions kept. */
  sizes: ShapeEntry[];
  /** The Divs computing that head size from the stream width (stream.ts lets them read a cut width). */
  divs: NodeProto[];
  /** Concat inputs that hold the attention width of the output projection's input: they become -1. */
  widths: ShapeEntry[];
}

/**
 * One group per attention layer whose heads or head dimensions can be cut: a fused q/k/v projection,
 * or separate q, k and v projections (three layers of one width reading the same tensor).
 */
export function buildHeadGroups(index: GraphIndex, layers: LayerNode[], unit: AttentionUnit): Group[] {
  const byNode = new Map(layers.map((l) => [l.node, l]));
  const grouped = new Set<LayerNode>();
  const groups: Group[] = [];
  for (const l of layers) {
    if (grouped.has(l)) continue;
    const fused = l.units % 3 === 0 ? [0, 1, 2].map((s) => ({ layer: l, offset: (s * l.units) / 3 })) : undefined;
    const siblings = layers.filter((x) => x.node.input[0] === l.node.input[0] && x.units === l.units);
    const separate = siblings.length === 3 ? siblings.map((layer) => ({ layer, offset: 0 })) : undefined;
    const g =
      (fused && headGroup(index, fused, byNode, unit)) ?? (separate && headGroup(index, separate, byNode, unit));
    if (!g) continue;
    groups.push(g);
    for (const s of g.sources) grouped.add(s.layer);
  }
  return groups;
}

/** q, k and v: each a layer and where its units start in it. */
type Parts = { layer: LayerNode; offset: number }[];

function headGroup(
  index: GraphIndex,
  parts: Parts,
  byNode: Map<NodeProto, LayerNode>,
  unit: AttentionUnit,
): Group | undefined {
  const layers = [...new Set(parts.map((p) => p.layer))];
  if (layers.some((l) => l.channelAxis !== -1 || l.depthwise || l.grouped)) return undefined;
  const width = layers.length === 1 ? layers[0].units / 3 : layers[0].units;
  // The nodes between the q/k/v projections and the layers their outputs reach.
  const region = new Set<NodeProto>();
  const reached = new Set<LayerNode>();
  const queue = layers.map((l) => l.node.output[0]);
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
  const shapes = headShapes(index, region, proj, width, unit);
  if (!shapes) return undefined;
  const { count, size } = shapes;
  // Channel c of each map: a head (block of `size` units) or a dimension (one unit of a head).
  const mapsAt = (offset: number): ChannelMap[] =>
    unit === 'heads'
      ? [{ offset, block: size, inner: 1 }]
      : Array.from({ length: count }, (_, h) => ({ offset: offset + h * size, block: 1, inner: 1 }));
  const sources = parts.flatMap((p) => mapsAt(p.offset).map((map) => ({ layer: p.layer, map })));
  const slices = (param: string, axis: number, of: ChannelMap[]): ParamSlice[] =>
    of.map((map) => ({ param, axis, ...map }));
  return {
    channels: unit === 'heads' ? count : size,
    sources,
    followers: [],
    slices: [
      ...parts.flatMap((p) => {
        const bias = biasOf(index, p.layer);
        const maps = mapsAt(p.offset);
        return [...slices(p.layer.weight, p.layer.outAxis, maps), ...(bias ? slices(bias.param, bias.axis, maps) : [])];
      }),
      ...slices(proj.weight, proj.inAxis, mapsAt(0)),
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
 * Reshape targets of the region, the head-size entries of those targets, and the width entry of
 * the target the output projection reads. Each unit needs its own: the counts for 'heads', the
 * sizes for 'dims'.
 */
function headShapes(
  index: GraphIndex,
  region: Set<NodeProto>,
  proj: LayerNode,
  width: number,
  unit: AttentionUnit,
): HeadShapes | undefined {
  const targets = [...region].filter((n) => n.op_type === 'Reshape');
  const arithmetic = new Set(targets.flatMap((r) => shapeNodes(index, r.input[1])));
  const scalar = (name: string) => {
    const t = index.constantTensor(name);
    return t?.data_type === DataType.INT64 && t.dims.every((d) => Number(d) === 1) ? tensorToInts(t)[0] : undefined;
  };
  const divs = [...arithmetic].filter((n) => n.op_type === 'Div');
  const candidates = [...new Set(divs.map((n) => scalar(n.input[1])))].filter(
    (h): h is number => h !== undefined && h > 1 && width % h === 0,
  );
  if (candidates.length !== 1) return undefined;
  const count = candidates[0];
  const counts = [...arithmetic]
    .filter((n) => n.op_type === 'Mul' || n.op_type === 'Concat')
    .flatMap((n) => n.input.filter((i) => index.producer(i)?.op_type === 'Constant' && scalar(i) === count));
  // A head count read outside these shapes too would change there: not rewritten, not recognized.
  if (unit === 'heads' && (!counts.length || counts.some((c) => index.consumers(c).some((n) => !arithmetic.has(n)))))
    return undefined;
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
  // The head-size entries: those of the other targets computed from the width / H division.
  const sizeDivs = new Set(divs.filter((n) => scalar(n.input[1]) === count));
  const sizes = [...arithmetic]
    .filter((n) => n.op_type === 'Concat' && n !== concat)
    .flatMap((node) =>
      node.input.flatMap((i, input) => (shapeNodes(index, i).some((p) => sizeDivs.has(p)) ? [{ node, input }] : [])),
    );
  if (!sizes.length) return undefined;
  return {
    unit,
    count,
    size: width / count,
    counts: [...new Set(counts)],
    sizes,
    divs: [...sizeDivs],
    widths: [{ node: concat, input: concat.input.length - 1 }],
  };
}

/** What the channels of an attention group are called, in notes and rounding notes. */
export function headUnits(h: HeadShapes): string {
  return h.unit === 'heads' ? 'attention heads' : 'head dimensions';
}

/** The note for an attention group that lost `cut` channels. */
export function headNote(g: Group, cut: number): string {
  const h = g.heads!;
  const where = h.unit === 'dims' ? ` in each of its ${h.count} heads` : '';
  return `${g.sources[0].layer.name} loses ${cut} of the ${g.channels} ${headUnits(h)}${where}`;
}

/**
 * The graph edits of the attention groups cut (apply.ts): new values of head-count constants,
 * and Concat inputs replaced by new constants (the dimensions kept; -1 for the width).
 */
export function headEdits(cuts: { group: Group; channels: number[] }[], index: GraphIndex) {
  const params = new Map<string, TensorProto>();
  const inputs = new Map<NodeProto, Map<number, TensorProto>>();
  const replace = (e: ShapeEntry, value: number) => {
    const entries = inputs.get(e.node) ?? new Map<number, TensorProto>();
    inputs.set(e.node, entries.set(e.input, int64Tensor(`${e.node.output[0]}_${e.input}_pruned`, [1], [value])));
  };
  const done = new Set<HeadShapes>();
  const edit = (h: HeadShapes, cut: number) => {
    done.add(h);
    if (h.unit === 'heads' && cut)
      for (const name of h.counts)
        params.set(name, int64Tensor(name, paramTensor(index, name)!.dims.map(Number), [h.count - cut]));
    // The head size and the attention width no longer follow from a stream width: written out.
    for (const e of h.sizes) replace(e, h.unit === 'dims' ? h.size - cut : h.size);
    for (const e of h.widths) replace(e, -1);
  };
  for (const { group, channels } of cuts) if (group.heads) edit(group.heads, channels.length);
  // A cut stream (stream.ts) changes the width the other attention layers compute their shapes from.
  for (const { group, channels } of cuts)
    if (channels.length) for (const h of group.widthReaders ?? []) if (!done.has(h)) edit(h, 0);
  return { params, inputs };
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
