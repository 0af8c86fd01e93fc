// The residual stream of a Transformer as a channel space (docs/PRUNING.md, "Embedding width"), for
// `embeddingWidth` requests. Besides the per-channel rules of groups.ts, its walk must pass what a
// torch export does with the width D: the patch embedding's Reshape to [batch, D, tokens] (D a
// constant, rewritten), the Reshapes around the attention output projection (D read back from the
// tensor's own Shape), the class token's Expand and the class-token Gather. Each read of the width
// (a Shape, then a Gather of its channel entry) must end where the cut is accounted for: in such a
// Reshape target, or in the attention shape arithmetic heads.ts rewrites. These helpers decide that.
import { tensorToInts, type GraphIndex, type NodeProto } from '../onnx/index.js';
import type { HeadShapes } from './heads.js';
import { paramTensor } from './layers.js';

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
