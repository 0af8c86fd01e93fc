// The residual stream of a Transformer as a channel space (docs/PRUNING.md, "Embedding width"), for
// `embeddingWidth` requests. Besides the per-channel rules of groups.ts, its walk must pass what a
// torch export does with the width D: the patch embedding's Reshape to [batch, D, tokens] (D a
// constant, rewritten), the Reshapes around the attention output projection (D read back from the
// tensor's own Shape), the class token's Expand and the class-token Gather. Each read of the width
// (a Shape, then a Gather of its channel entry) must end where the cut is accounted for: in such a
// Reshape target, or in the attention shape arithmetic heads.ts rewrites. These helpers decide that.
import { attrInt, tensorToInts, type GraphIndex, type NodeProto } from '../onnx/index.js';
import type { HeadShapes } from './heads.js';
import { paramTensor, perChannelAxis } from './layers.js';
import type { Member, Walk } from './walk.js';

/** One entry of a Reshape target: a constant (a tensor and the position in it) or a computed scalar. */
export type TargetEntry = { constant: string; at: number; value: number } | { tensor: string };

/** The entries of a Reshape target made of constants and 1-element Concat inputs; undefined otherwise. */
export function targetEntries(index: GraphIndex, target: string): TargetEntry[] | undefined {
  const whole = paramTensor(index, target);
  if (whole) return tensorToInts(whole).map((value, at) => ({ constant: target, at, value }));
  const concat = index.producer(target);
  if (concat?.op_type !== 'Concat') return undefined;
  const out: TargetEntry[] = [];
  for (const input of concat.input) {
    const t = paramTensor(index, input);
    if (t && tensorToInts(t).length !== 1) return undefined;
    out.push(t ? { constant: input, at: 0, value: tensorToInts(t)[0] } : { tensor: input });
  }
  return out;
}

/** Whether a computed entry is `Gather(Shape(tensor), position)`, possibly through Unsqueeze or Cast. */
export function readsAxis(index: GraphIndex, entry: string, tensor: string, position: number, rank: number): boolean {
  let p = index.producer(entry);
  while (p && (p.op_type === 'Unsqueeze' || p.op_type === 'Cast' || p.op_type === 'Squeeze'))
    p = index.producer(p.input[0]);
  if (p?.op_type !== 'Gather') return false;
  const shape = index.producer(p.input[0]);
  const at = gatherIndex(index, p);
  return shape?.op_type === 'Shape' && shape.input[0] === tensor && at !== undefined && (at + rank) % rank === position;
}

/** The constant index a Gather of a Shape takes (one value, scalar or [1]); undefined otherwise. */
export function gatherIndex(index: GraphIndex, gather: NodeProto): number | undefined {
  const t = index.constantTensor(gather.input[1]);
  const v = t && tensorToInts(t);
  return v?.length === 1 ? v[0] : undefined;
}

/**
 * Why a read of the stream width (a Gather output) is not accounted for, or undefined when each use
 * ends in an `allowed` target entry, or in a head size or attention width that heads.ts writes out.
 */
export function unaccountedRead(
  index: GraphIndex,
  read: string,
  allowed: Set<string>,
  heads: HeadShapes[],
): string | undefined {
  const divs = new Set(heads.flatMap((h) => h.divs));
  const written = new Set(heads.flatMap((h) => [...h.widths, ...h.sizes].map((w) => w.node.input[w.input])));
  const queue = [read];
  while (queue.length) {
    const t = queue.pop()!;
    if (allowed.has(t) || written.has(t)) continue;
    for (const c of index.consumers(t)) {
      // The head size (width / H) may flow only into the targets heads.ts writes out: a softmax scale
      // computed from it would change with the width.
      if (divs.has(c) || c.op_type === 'Unsqueeze' || c.op_type === 'Cast' || c.op_type === 'Squeeze')
        queue.push(c.output[0]);
      else return `${c.op_type} ${c.name || c.output[0]} computes with the stream width`;
    }
  }
  return undefined;
}

/**
 * The stream's rules for `node`, reached through `tensor` (laid out as `m`): a Shape of the stream,
 * the class token's Gather and Expand, a Reshape keeping the channels on one axis. False when none
 * applies (the per-op rules of groups.ts come next).
 */
export function streamRule(w: Walk, node: NodeProto, tensor: string, m: Member, fromOutput: boolean): boolean {
  if (node.op_type === 'Shape') shapeRead(w, node, tensor, m);
  else if (node.op_type === 'Gather' && !fromOutput && tensor === node.input[0]) gather(w, node, tensor, m);
  else if (node.op_type === 'Expand' && fromOutput) expand(w, node, m);
  else if (node.op_type === 'Reshape' && (fromOutput || tensor === node.input[0]) && !m.flat)
    streamReshape(w, node, m, fromOutput);
  else return false;
  return true;
}

/** A Shape of the stream: its channel entry may only be read where the cut is accounted for (stream.ts). */
function shapeRead(w: Walk, node: NodeProto, tensor: string, m: Member): void {
  const rank = m.rank ?? w.index.shape(tensor)?.length;
  if (rank === undefined) return w.block(`Shape ${node.name}: the rank of ${tensor} is unknown`);
  for (const g of w.index.consumers(node.output[0])) {
    const at = g.op_type === 'Gather' ? gatherIndex(w.index, g) : undefined;
    if (at === undefined) return w.block(`${g.op_type} ${g.name || g.output[0]} reads the shape of the stream`);
    if ((at + rank) % rank === rank + m.axis) w.widthReads.push(g.output[0]);
  }
}

/** A Gather of tokens (the class token) along an axis before the channels keeps them last. */
function gather(w: Walk, node: NodeProto, tensor: string, m: Member): void {
  const rank = m.rank ?? w.index.shape(tensor)?.length;
  const indices = w.index.constantTensor(node.input[1]);
  const axis = attrInt(node, 'axis', 0);
  if (rank === undefined || !indices || (axis + rank) % rank >= rank + m.axis)
    return w.block(`Gather ${node.name} selects along the channels`);
  w.follow(node, node.output[0], { ...m, rank: rank - 1 + indices.dims.length });
}

/** An Expand of a constant (the class token) along other axes: the constant loses the channels. */
function expand(w: Walk, node: NodeProto, m: Member): void {
  const axis = paramTensor(w.index, node.input[0]) && perChannelAxis(w.index, node.input[0], m.axis);
  if (axis === undefined) return w.block(`Expand ${node.name} makes the channels from a computed tensor`);
  w.slice(node.input[0], axis, m.map);
}

/**
 * A Reshape that keeps the channels whole on one axis: its target holds the channel count either
 * as a constant (rewritten with the channels kept) or read from its input's Shape (follows itself).
 */
function streamReshape(w: Walk, node: NodeProto, m: Member, fromOutput: boolean): void {
  const entries = targetEntries(w.index, node.input[1]);
  const data = node.input[0];
  const inputAxis = fromOutput ? channelAxisOf(w, data, m.width) : m.axis;
  const inRank = fromOutput ? rankOf(w, data) : (m.rank ?? rankOf(w, data));
  const what = `Reshape ${node.name || node.output[0]}`;
  if (!entries || inputAxis === undefined || inRank === undefined) return w.block(`${what} reshapes the channels`);
  const channel = (e: TargetEntry) =>
    'constant' in e ? e.value === m.width : readsAxis(w.index, e.tensor, data, inRank + inputAxis, inRank);
  const at = entries.flatMap((e, k) => (channel(e) ? [k] : []));
  if (at.length !== 1 || (fromOutput && at[0] !== entries.length + m.axis))
    return w.block(`${what} does not keep the channels on one axis`);
  const e = entries[at[0]];
  if ('constant' in e) w.group.reshapes.push({ param: e.constant, index: e.at, map: m.map, width: m.width });
  else w.widthEntries.add(e.tensor);
  const outAxis = at[0] - entries.length;
  if (fromOutput) w.follow(node, data, { ...m, axis: inputAxis, rank: inRank });
  else w.follow(node, node.output[0], { ...m, axis: outAxis, rank: entries.length });
}

function rankOf(w: Walk, tensor: string): number | undefined {
  const p = w.index.producer(tensor);
  const layer = p && w.layers.get(p);
  return w.index.shape(tensor)?.length ?? layer?.rank;
}

/** The axis (from the end) of a tensor holding `width` channels: its layer's, or its one dim of that size. */
function channelAxisOf(w: Walk, tensor: string, width: number): number | undefined {
  const p = w.index.producer(tensor);
  const layer = p && w.layers.get(p);
  if (layer) return layer.units === width ? layer.channelAxis : undefined;
  const shape = w.index.shape(tensor);
  const at = shape?.flatMap((d, k) => (d === width ? [k] : []));
  return shape && at?.length === 1 ? at[0] - shape.length : undefined;
}
