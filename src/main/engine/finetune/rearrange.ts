// Rearrangements (Emitter.rearrange) at the CPU training graph's edges, taken out of it and done in
// JS: of the fed weights before each run (the NCHWc weight layouts of nchwc.ts, the flipped kernels
// of grad/conv.ts' input gradients), of the weight gradients after it. onnxruntime's Gather copies
// them one float per index: 1-2 ms per 128x128x3x3 weight, about a tenth of the demo CNN's step with
// 2 threads; the same loop in JS is a fraction of that (docs/FINETUNE.md).
import * as ort from 'onnxruntime-node';
import { GraphIndex } from '../onnx/graph-index.js';
import { opsetVersion } from '../onnx/opset.js';
import { create, type ModelProto } from '../onnx/schema.js';
import { tensorToNumbers } from '../onnx/tensor.js';
import { floatInput } from './emit.js';
import { rewrittenGraph } from './rewrite.js';

/** Tensor `name`: `source`'s elements in `order`, shaped `dims`. */
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

/** The rearrangements at a hoisted graph's edges. */
export interface Edges {
  /** Fed from their source's feed. */
  inputs: Rearrangement[];
  /** Made from their source, which the graph outputs instead. */
  outputs: Rearrangement[];
  /** Graph inputs no node reads any more (every use was a rearrangement): fed, but their values unused. */
  unread: string[];
}

/** A CPU training graph whose rearranged inputs and outputs are made in JS. */
export interface Hoisted extends Edges {
  model: ModelProto;
}

/**
 * The model with every rearrangement of a graph input turned into an input of its own, and every
 * graph output that is a rearrangement (through an Identity or not) into an output of its source:
 * the weight gradients of grad/conv.ts, whose layout [O, I, taps] is a transposition of the per-tap
 * products [taps, O, I] that onnxruntime made on one thread (1.5-2 ms of the demo CNN's step).
 */
export function hoistRearrangements(model: ModelProto): Hoisted {
  const graph = model.graph!;
  const index = new GraphIndex(graph, opsetVersion(model));
  const fed = new Set(graph.input.map((i) => i.name));
  const fetched = new Set(graph.output.map((o) => o.name));
  const inputs: Rearrangement[] = [];
  const outputs: Rearrangement[] = [];
  const found = (t: string): Rearrangement | undefined => {
    const reshape = index.producer(t);
    const r = reshape?.op_type === 'Reshape' ? rearranged(index, t) : undefined;
    const shape = r && index.constantTensor(reshape!.input[1]);
    const dims = shape ? tensorToNumbers(shape) : [];
    return r && dims.every((d) => d > 0)
      ? { name: t, source: r.source, order: Int32Array.from(r.order), dims }
      : undefined;
  };
  const nodes = graph.node.filter((node) => {
    const out = node.output[0];
    const input = node.op_type === 'Reshape' ? found(out) : undefined;
    if (input && fed.has(input.source)) {
      inputs.push(input);
      return false;
    }
    if (!fetched.has(out)) return true;
    const output = node.op_type === 'Identity' ? found(node.input[0]) : found(out);
    // A source that is fed or fetched already, or made two outputs, stays in the graph.
    const taken = (source: string) =>
      fed.has(source) || fetched.has(source) || outputs.some((r) => r.source === source);
    if (!output || taken(output.source)) return true;
    outputs.push({ ...output, name: out });
    return false;
  });
  if (inputs.length + outputs.length === 0) return { model, inputs, outputs, unread: [] };
  const sources = new Map(outputs.map((r) => [r.name, r.source]));
  const hoisted = rewrittenGraph(model, nodes, {
    inputs: inputs.map((r) => floatInput(r.name, r.dims)),
    outputs: graph.output.map((o) =>
      sources.has(o.name) ? create('ValueInfoProto', { name: sources.get(o.name) }) : o,
    ),
  });
  const read = new Set(hoisted.graph!.node.flatMap((n) => n.input));
  const unread = graph.input.map((i) => i.name).filter((name) => !read.has(name) && !fetched.has(name));
  return { model: hoisted, inputs, outputs, unread };
}

/** `out` (of order's length) filled with `source`'s elements in `order`: out[t] = source[order[t]]. */
export function rearrangeInto(order: Int32Array, source: Float32Array, out: Float32Array): Float32Array {
  for (let t = 0; t < out.length; t++) out[t] = source[order[t]];
  return out;
}

/** The inverse of rearrangeInto: out[order[t]] = source[t]. */
export function unrearrangeInto(order: Int32Array, source: Float32Array, out: Float32Array): Float32Array {
  for (let t = 0; t < source.length; t++) out[order[t]] = source[t];
  return out;
}

const tensorOf = (r: Rearrangement, source: Float32Array) =>
  new ort.Tensor('float32', rearrangeInto(r.order, source, new Float32Array(r.order.length)), r.dims);

/** session.run of a hoisted graph: its rearranged inputs made from `feeds`, its rearranged outputs from the run's. */
export async function runHoisted(
  session: ort.InferenceSession,
  { inputs, outputs }: Edges,
  feeds: Record<string, ort.Tensor>,
  fetches: string[],
): Promise<ort.InferenceSession.ReturnType> {
  const all = { ...feeds };
  for (const r of inputs) all[r.name] = tensorOf(r, feeds[r.source].data as Float32Array);
  const made = new Map(outputs.map((r) => [r.name, r]));
  const result = await session.run(
    all,
    fetches.map((f) => made.get(f)?.source ?? f),
  );
  const rearranged = outputs
    .filter((r) => fetches.includes(r.name))
    .map((r) => [r.name, tensorOf(r, result[r.source].data as Float32Array)]);
  return { ...result, ...Object.fromEntries(rearranged) };
}
