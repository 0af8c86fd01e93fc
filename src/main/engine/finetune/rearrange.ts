// Rearrangements of fed tensors (Emitter.rearrange: the NCHWc weight layouts of nchwc.ts, the
// flipped kernels of grad/conv.ts' input gradients) taken out of the CPU training graph and done in
// JS before each run. onnxruntime's Gather copies them one float per index: 1-2 ms per 128x128x3x3
// weight, about a tenth of the demo CNN's step with 2 threads; the same loop in JS is a fraction of
// that (docs/FINETUNE.md).
import * as ort from 'onnxruntime-node';
import { GraphIndex } from '../onnx/graph-index.js';
import { opsetVersion } from '../onnx/opset.js';
import type { ModelProto } from '../onnx/schema.js';
import { tensorToNumbers } from '../onnx/tensor.js';
import { floatInput } from './emit.js';
import { rewrittenGraph } from './rewrite.js';

/** A graph input fed with `source`'s elements in `order`, shaped `dims`. */
export interface Rearrangement {
  name: string;
  source: string;
  order: Int32Array;
  dims: number[];
}

/** `t` as Emitter.rearrange made it (Reshape(Gather(Reshape(source, [-1]), order))), else undefined. */
export function rearranged(index: GraphIndex, t: string): { source: string; order: number[] } | undefined {
  const reshape = index.producer(t);
  const gather = reshape?.op_type === 'Reshape' ? index.producer(reshape.input[0]) : undefined;
  const flat = gather?.op_type === 'Gather' ? index.producer(gather.input[0]) : undefined;
  const order = gather && index.constantTensor(gather.input[1]);
  if (flat?.op_type !== 'Reshape' || !order) return undefined;
  const shape = index.constantTensor(flat.input[1]);
  if (!shape || tensorToNumbers(shape).join() !== '-1') return undefined;
  return { source: flat.input[0], order: tensorToNumbers(order) };
}

/** The model with every rearrangement of a graph input turned into an input of its own. */
export function hoistRearrangements(model: ModelProto): { model: ModelProto; rearrangements: Rearrangement[] } {
  const graph = model.graph!;
  const index = new GraphIndex(graph, opsetVersion(model));
  const fed = new Set(graph.input.map((i) => i.name));
  const rearrangements: Rearrangement[] = [];
  const nodes = graph.node.filter((node) => {
    const found = node.op_type === 'Reshape' ? rearranged(index, node.output[0]) : undefined;
    const shape = found && index.constantTensor(node.input[1]);
    const dims = shape ? tensorToNumbers(shape) : [];
    if (!found || !fed.has(found.source) || !dims.every((d) => d > 0)) return true;
    rearrangements.push({ name: node.output[0], source: found.source, order: Int32Array.from(found.order), dims });
    return false;
  });
  if (rearrangements.length === 0) return { model, rearrangements };
  const inputs = rearrangements.map((r) => floatInput(r.name, r.dims));
  return { model: rewrittenGraph(model, nodes, [], inputs), rearrangements };
}

/** `feeds` with every rearranged input added, made from its source's feed. */
export function withRearranged(
  feeds: Record<string, ort.Tensor>,
  rearrangements: Rearrangement[],
): Record<string, ort.Tensor> {
  const out = { ...feeds };
  for (const r of rearrangements) {
    const source = feeds[r.source].data as Float32Array;
    const data = new Float32Array(r.order.length);
    for (let t = 0; t < data.length; t++) data[t] = source[r.order[t]];
    out[r.name] = new ort.Tensor('float32', data, r.dims);
  }
  return out;
}
