// A graph with its nodes replaced, as the CPU rewrites of the training graph (nchwc.ts,
// rearrange.ts) make it: nodes no output depends on any more, and the constants only they read, go.
import { copyMessage, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/schema.js';

/** The nodes reading each tensor, each once, in `nodes`' order. */
export function readersOf(nodes: NodeProto[]): Map<string, NodeProto[]> {
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of new Set(n.input)) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  return readers;
}

/** Tensor -> the node among `nodes` that writes it. */
export function producersOf(nodes: NodeProto[]): Map<string, NodeProto> {
  return new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)));
}

/** Nodes whose outputs nobody reads any more. */
function withoutOrphans(nodes: NodeProto[], outputs: Set<string>): NodeProto[] {
  let kept = nodes;
  for (;;) {
    const read = new Set([...outputs, ...kept.flatMap((n) => n.input)]);
    const next = kept.filter((n) => n.output.some((o) => read.has(o)));
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

/**
 * `model` with `nodes` as its graph (in order), `added` constants and `inputs` appended, `outputs`
 * in place of its own where given; orphaned nodes and constants dropped. Graph inputs stay, read or
 * not: callers feed them by name.
 */
export function rewrittenGraph(
  model: ModelProto,
  nodes: NodeProto[],
  {
    added = [],
    inputs = [],
    outputs = model.graph!.output,
  }: { added?: TensorProto[]; inputs?: ValueInfoProto[]; outputs?: ValueInfoProto[] } = {},
): ModelProto {
  const graph = model.graph!;
  const kept = withoutOrphans(nodes, new Set(outputs.map((o) => o.name)));
  // Constants only the removed nodes read go with them.
  const readBefore = new Set(graph.node.flatMap((n) => n.input));
  const read = new Set(kept.flatMap((n) => n.input));
  const initializer = [
    ...graph.initializer.filter((t) => read.has(t.name) || !readBefore.has(t.name)),
    ...added.filter((t) => read.has(t.name)),
  ];
  return copyMessage(model, {
    graph: copyMessage(graph, { node: kept, initializer, input: [...graph.input, ...inputs], output: outputs }),
  });
}
