// Dependency groups (Torch-Pruning's idea on the ONNX graph): the channel slices that must be removed
// together. A group is one "channel space": every tensor and parameter slice indexed by the same
// channel. It is found by a walk over the graph from a layer's output, in both directions, through
// ops that act per channel; it collects the source layers (whose output units are the channels),
// the depthwise convs that follow them, BatchNorm/bias vectors, the consumers' input slices (Conv
// weight axis 1, Gemm/MatMul rows, Flatten column blocks), Concat offsets and residual partners
// (the operands of an Add are one space). Anything the walk cannot follow blocks the group, with the
// reason; the pruner then masks instead of cutting. A new architecture pattern is a new rule here,
// or in stream.ts for a Transformer's residual stream, both on the walk's interface (walk.ts);
// docs/PRUNING.md lists the rules per op.
import { PRUNE_DEFAULTS, type AttentionUnit } from '../../../shared/prune-options.js';
import { attrInt, attrInts, tensorToInts, type GraphIndex, type NodeProto } from '../onnx/index.js';
import { buildHeadGroups, type HeadShapes } from './heads.js';
import { streamRule, unaccountedRead } from './stream.js';
import type { Member, Walk } from './walk.js';
import {
  asLayer,
  CHANNEL_PARAMS,
  CHANNELWISE,
  ELEMENTWISE,
  paramTensor,
  perChannelAxis,
  type LayerNode,
} from './layers.js';

/**
 * Channel c of a group is, in a tensor axis or a parameter axis, the indices
 * (offset + c*block + j) * inner + s for j < block, s < inner: `offset` from Concat, `block` from
 * depthwise multipliers, `inner` the spatial positions per channel after a Flatten.
 */
export interface ChannelMap {
  offset: number;
  block: number;
  inner: number;
}

export interface ParamSlice extends ChannelMap {
  param: string;
  axis: number;
}

export interface Group {
  /** Number of channels in the space. */
  channels: number;
  /** Layers whose output units are the channels (unit = offset + c*block + j). */
  sources: { layer: LayerNode; map: ChannelMap }[];
  /** Depthwise convs whose units follow the channels; they lose them with the group. */
  followers: { layer: LayerNode; map: ChannelMap }[];
  /** Every parameter slice removed with channel c. */
  slices: ParamSlice[];
  /** Activation tensors whose channel axis shrinks (value_info to drop or fix). */
  tensors: string[];
  /** Depthwise convs whose `group` attribute counts the channels. */
  groupAttrs: { node: NodeProto; map: ChannelMap }[];
  /** Reshape targets holding the flattened size (entry `index` of `param`, over `width` channels). */
  reshapes: { param: string; index: number; map: ChannelMap; width: number }[];
  /** LayerNormalizations over exactly these channels: cutting makes each normalize over fewer. */
  norms: string[];
  /** Graph outputs the channels reach (cutting them changes the embedding's dimension). */
  outputs: { name: string; map: ChannelMap; axis: number; width: number }[];
  /** Why the channels cannot be removed structurally; the group is masked instead. */
  blocked?: string;
  /** Attention (heads.ts): the channels are heads or head dimensions; cutting them rewrites these shapes. */
  heads?: HeadShapes;
  /** A Transformer's stream (stream.ts): attention layers whose shape arithmetic reads its width. */
  widthReaders?: HeadShapes[];
}

/**
 * One group per channel space, in the order of the layers that start them; each layer in one group.
 * Attention layers lose heads or head dimensions, as `attention` says (heads.ts).
 */
export function buildGroups(
  index: GraphIndex,
  layers: LayerNode[],
  attention: AttentionUnit = PRUNE_DEFAULTS.attention,
  embeddingWidth = false,
): Group[] {
  const groups = buildHeadGroups(index, layers, attention);
  const heads = groups.map((g) => g.heads!);
  const seen = new Set(groups.flatMap((g) => g.sources.map((s) => s.layer.node)));
  const byNode = new Map(layers.map((l) => [l.node, l]));
  for (const layer of layers) {
    if (seen.has(layer.node) || layer.depthwise) continue;
    const g = new GroupWalk(index, byNode, embeddingWidth ? heads : undefined).run(layer);
    for (const s of [...g.sources, ...g.followers]) seen.add(s.layer.node);
    groups.push(g);
  }
  return groups;
}

class GroupWalk implements Walk {
  private readonly members = new Map<string, Member>();
  private readonly done = new Set<string>();
  private readonly queue: string[] = [];
  group!: Group;
  readonly widthReads: string[] = [];
  readonly widthEntries = new Set<string>();

  constructor(
    readonly index: GraphIndex,
    /** The model's layers (with the names results use) by node. */
    readonly layers: Map<NodeProto, LayerNode>,
    /** Set for `embeddingWidth`: the walk follows a Transformer's stream (stream.ts) past these heads. */
    private readonly stream?: HeadShapes[],
  ) {}

  run(start: LayerNode): Group {
    this.group = {
      channels: start.units,
      sources: [],
      followers: [],
      slices: [],
      tensors: [],
      groupAttrs: [],
      reshapes: [],
      norms: [],
      outputs: [],
    };
    if (start.grouped)
      this.block(`${start.name} is a grouped conv (group=${start.grouped}); its channels are cut per group only`);
    const map = { offset: 0, block: 1, inner: 1 };
    this.addSource(start, map);
    this.follow(start.node, start.node.output[0], {
      map,
      axis: start.channelAxis,
      rank: start.rank,
      width: start.units,
      flat: false,
    });
    while (this.queue.length && !this.group.blocked) this.step(this.queue.pop()!);
    if (this.widthReads.length && !this.group.blocked) {
      for (const read of this.widthReads) {
        const why = unaccountedRead(this.index, read, this.widthEntries, this.stream!);
        if (why) this.block(why);
      }
      this.group.widthReaders = this.stream;
    }
    return this.group;
  }

  block(reason: string): void {
    this.group.blocked ??= reason;
  }

  /** Visits a tensor from `node`, which has then been handled for it. */
  follow(node: NodeProto, tensor: string, m: Member): void {
    this.done.add(handled(node, tensor));
    this.visit(tensor, m);
  }

  private visit(tensor: string, m: Member): void {
    const had = this.members.get(tensor);
    if (had) {
      const same = had.map.offset === m.map.offset && had.map.block === m.map.block && had.flat === m.flat;
      if (!same) this.block(`tensor ${tensor} holds the channels in two different layouts`);
      return;
    }
    this.members.set(tensor, m);
    this.group.tensors.push(tensor);
    this.queue.push(tensor);
  }

  private step(tensor: string): void {
    const m = this.members.get(tensor)!;
    if (this.index.graph.output.some((o) => o.name === tensor)) {
      this.group.outputs.push({ name: tensor, map: m.map, axis: m.axis, width: m.width });
    }
    const p = this.index.producer(tensor);
    if (!p) this.block(`the channels reach the model input ${tensor}`);
    else this.node(p, tensor, m);
    for (const c of this.index.consumers(tensor)) this.node(c, tensor, m);
  }

  /** Applies the coupling rule of `node`, reached through `tensor` (one of its inputs or outputs). */
  private node(node: NodeProto, tensor: string, m: Member): void {
    const key = handled(node, tensor);
    if (this.done.has(key)) return;
    this.done.add(key);
    const fromOutput = node.output.includes(tensor);
    const layer = this.layers.get(node);
    const what = `${node.op_type} ${node.name || node.output[0]}`;
    if (layer?.depthwise) return this.depthwise(layer, fromOutput, m);
    if (layer && fromOutput) return this.sourceOf(layer, m);
    if (layer && tensor === node.input[0]) return this.consumer(layer, m);
    if (node.op_type === 'Transpose') return this.transpose(node, m, fromOutput);
    if (node.op_type === 'LayerNormalization') return this.layerNorm(node, tensor, m, fromOutput);
    if (this.stream && streamRule(this, node, tensor, m, fromOutput)) return;
    if (fromOutput && !CHANNELWISE.has(node.op_type) && node.op_type !== 'Concat') {
      return this.block(`${what} makes a tensor whose channels are coupled to ${this.group.sources[0].layer.name}`);
    }
    switch (node.op_type) {
      case 'Concat':
        return this.concat(node, tensor, m);
      case 'Flatten':
        return this.flatten(node, m, attrInt(node, 'axis', 1));
      case 'Reshape':
        return this.reshape(node, m);
      case 'Pad':
        if (tensor !== node.input[0] && !fromOutput) return this.block(`${what} reads its pads from the channels`);
        if (padsChannels(this.index, node, m)) return this.block(`${what} pads the channel axis`);
    }
    if (!CHANNELWISE.has(node.op_type) || (!ELEMENTWISE.has(node.op_type) && tensor !== node.input[0] && !fromOutput)) {
      return this.block(`${what} (${node.op_type} is not a per-channel op the pruner can follow)`);
    }
    this.channelwise(node, m);
  }

  private addSource(layer: LayerNode, map: ChannelMap): void {
    this.group.sources.push({ layer, map });
    this.slice(layer.weight, layer.outAxis, map);
    if (layer.bias) this.slice(layer.bias, paramTensor(this.index, layer.bias)!.dims.length - 1, map);
  }

  private sourceOf(layer: LayerNode, m: Member): void {
    if (layer.grouped)
      return this.block(
        `${layer.name} is a grouped conv (group=${layer.grouped}); its channels are cut per group only`,
      );
    if (m.map.offset !== 0 || m.width !== layer.units || m.flat) {
      return this.block(`${layer.name} is coupled to only part of another layer's channels`);
    }
    this.addSource(layer, m.map);
  }

  /** A layer reading the channels: its weight loses the matching input slice. */
  private consumer(layer: LayerNode, m: Member): void {
    const w = paramTensor(this.index, layer.weight)!.dims.map(Number);
    if (layer.node.op_type === 'Conv') {
      if (layer.grouped) return this.block(`their consumer ${layer.name} is a grouped conv (group=${layer.grouped})`);
      if (m.flat) return this.block(`${layer.name} reads flattened channels`);
      return this.slice(layer.weight, layer.inAxis, m.map);
    }
    // Gemm (transB: [N, K]) or MatMul ([K, N]): rows of K; after a Flatten each channel is K/width rows.
    if (m.axis !== -1 || layer.transA) return this.block(`${layer.name} multiplies an axis other than the channels`);
    const k = w[layer.inAxis];
    if (k % m.width !== 0 || (!m.flat && k !== m.width)) {
      return this.block(`${layer.name} reads ${k} features from ${m.width} channels`);
    }
    this.slice(layer.weight, layer.inAxis, { ...m.map, inner: k / m.width });
  }

  /** A depthwise conv follows its input channels (output = input * multiplier); it never votes. */
  private depthwise(layer: LayerNode, fromOutput: boolean, m: Member): void {
    const mult = layer.depthwise!.multiplier;
    if (m.flat || (fromOutput && (m.map.block % mult !== 0 || m.map.offset % mult !== 0))) {
      return this.block(`${layer.name} (depthwise) cannot follow this channel layout`);
    }
    const inMap = fromOutput ? { ...m.map, offset: m.map.offset / mult, block: m.map.block / mult } : m.map;
    const outMap = { ...inMap, offset: inMap.offset * mult, block: inMap.block * mult };
    const width = fromOutput ? m.width / mult : m.width;
    this.group.followers.push({ layer, map: outMap });
    this.group.groupAttrs.push({ node: layer.node, map: inMap });
    this.slice(layer.weight, 0, outMap);
    if (layer.bias) this.slice(layer.bias, 0, outMap);
    this.follow(layer.node, layer.node.input[0], { ...m, map: inMap, width });
    this.follow(layer.node, layer.node.output[0], { ...m, map: outMap, width: width * mult });
  }

  /** Per-channel ops: data operands and output share the channels; per-channel constants are sliced. */
  private channelwise(node: NodeProto, m: Member): void {
    const params = CHANNEL_PARAMS[node.op_type];
    const operands = ELEMENTWISE.has(node.op_type) || node.op_type === 'Concat';
    node.input.forEach((input, i) => {
      if (!input) return;
      if (params?.includes(i)) return this.slice(input, 0, m.map);
      if (i > 0 && !operands) return; // Clip bounds and the like: scalars
      if (paramTensor(this.index, input)) {
        const axis = perChannelAxis(this.index, input, m.axis);
        if (axis !== undefined) this.slice(input, axis, m.map);
        return;
      }
      const shape = this.index.shape(input);
      if (shape && shape[shape.length + m.axis] === 1) return; // broadcast along the channels: not coupled
      this.follow(node, input, m);
    });
    this.follow(node, node.output[0], m);
  }

  /** A Transpose moves the channel axis (ConvNeXt's NCHW <-> NHWC around LayerNorm and Linear). */
  private transpose(node: NodeProto, m: Member, fromOutput: boolean): void {
    const perm = attrInts(node, 'perm');
    const rank = perm?.length ?? m.rank;
    if (!perm || m.flat || (m.rank !== undefined && m.rank !== rank))
      return this.block(`Transpose ${node.name} moves the channels in a way the pruner cannot follow`);
    const at = perm.length + m.axis;
    const axis = (fromOutput ? perm[at] : perm.indexOf(at)) - perm.length;
    this.follow(node, fromOutput ? node.input[0] : node.output[0], { ...m, axis, rank });
  }

  /**
   * A LayerNormalization over the channel axis alone (ConvNeXt, Transformers): its scale and bias lose
   * the channels with the stream, and it then normalizes over fewer of them (reported as a note).
   */
  private layerNorm(node: NodeProto, tensor: string, m: Member, fromOutput: boolean): void {
    const rank = m.rank ?? this.index.shape(node.input[0])?.length;
    const axis = attrInt(node, 'axis', -1);
    const first = rank === undefined ? undefined : axis < 0 ? rank + axis : axis;
    if (
      m.flat ||
      rank === undefined ||
      m.axis !== -1 ||
      first !== rank - 1 ||
      (!fromOutput && tensor !== node.input[0])
    ) {
      return this.block(`LayerNormalization ${node.name || node.output[0]} normalizes across more than the channels`);
    }
    for (const i of [1, 2]) if (node.input[i]) this.slice(node.input[i], 0, m.map);
    this.group.norms.push(node.name || node.output[0]);
    this.follow(node, node.input[0], m);
    this.follow(node, node.output[0], m);
  }

  private concat(node: NodeProto, tensor: string, m: Member): void {
    const axis = attrInt(node, 'axis', 0);
    const fromEnd = axis < 0 ? axis : m.rank === undefined ? undefined : axis - m.rank;
    if (fromEnd === undefined) return this.block(`Concat ${node.name}: the rank of its inputs is unknown`);
    if (fromEnd !== m.axis) return this.channelwise(node, m); // joins along another axis: channels shared
    if (node.output.includes(tensor) || m.flat)
      return this.block(`Concat ${node.name} output is coupled to other channels`);
    let offset = 0;
    let width = 0;
    for (const input of node.input) {
      const w = channelWidth(this.index, input, m.axis);
      if (w === undefined) return this.block(`Concat ${node.name}: the channel count of ${input} is unknown`);
      if (input === tensor) offset = width;
      width += w;
    }
    this.follow(node, node.output[0], { ...m, map: { ...m.map, offset: m.map.offset + offset }, width });
  }

  private flatten(node: NodeProto, m: Member, axis: number): void {
    if (m.rank === undefined || axis !== m.rank + m.axis || m.flat) {
      return this.block(`Flatten ${node.name} does not start at the channel axis`);
    }
    this.follow(node, node.output[0], { ...m, axis: -1, rank: 2, flat: true });
  }

  /** A Reshape to [batch, C*H*W] with a constant target is a Flatten whose target must shrink too. */
  private reshape(node: NodeProto, m: Member): void {
    const target = paramTensor(this.index, node.input[1]);
    const rank = target?.dims.map(Number);
    if (!target || rank?.length !== 1 || rank[0] !== 2 || m.rank === undefined || m.rank + m.axis !== 1) {
      return this.block(`Reshape ${node.name} reshapes the channels`);
    }
    this.group.reshapes.push({ param: node.input[1], index: 1, map: m.map, width: m.width });
    this.follow(node, node.output[0], { ...m, axis: -1, rank: 2, flat: true });
  }

  slice(param: string, axis: number, map: ChannelMap): void {
    this.group.slices.push({ param, axis, ...map });
  }
}

/** Whether a Pad may add or remove channels: pads not constant, restricted to axes, or non-zero on the channel axis. */
function padsChannels(index: GraphIndex, node: NodeProto, m: Member): boolean {
  const t = node.input[1] ? paramTensor(index, node.input[1]) : undefined;
  if (!t || node.input[3] || m.rank === undefined) return true;
  const pads = tensorToInts(t);
  const axis = m.rank + m.axis;
  return pads.length !== 2 * m.rank || pads[axis] !== 0 || pads[axis + m.rank] !== 0;
}

/** Key of "node was handled when reached through tensor". */
function handled(node: NodeProto, tensor: string): string {
  return `${node.output[0]}<${tensor}`;
}

/** Channels of a tensor along `axis` (from the end): from its shape, else from the layer that makes it. */
function channelWidth(index: GraphIndex, tensor: string, axis: number): number | undefined {
  const shape = index.shape(tensor);
  const d = shape?.[shape.length + axis];
  if (typeof d === 'number') return d;
  const p = index.producer(tensor);
  if (!p) return undefined;
  const layer = asLayer(index, p);
  if (layer) return layer.channelAxis === axis ? layer.units : undefined;
  if (CHANNELWISE.has(p.op_type)) return channelWidth(index, p.input[0], axis);
  if (p.op_type === 'Concat') {
    let sum = 0;
    for (const i of p.input) {
      const w = channelWidth(index, i, axis);
      if (w === undefined) return undefined;
      sum += w;
    }
    return sum;
  }
  return undefined;
}

/** Indices of channel `c` on an axis (see ChannelMap). */
export function channelIndices(map: ChannelMap, c: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < map.block; j++) {
    const base = (map.offset + c * map.block + j) * map.inner;
    for (let s = 0; s < map.inner; s++) out.push(base + s);
  }
  return out;
}
