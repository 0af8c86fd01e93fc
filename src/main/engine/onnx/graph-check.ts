// What onnxruntime checks of a graph's wiring before it runs one (and refuses a model for), checked
// when a model is loaded: a mutated or hand-made model that names a tensor nothing produces, or
// produces one twice, is refused there in one line instead of flowing into analyses and exports
// (which would then write a model onnxruntime refuses).
import { MemLensError } from '../errors.js';
import type { GraphProto } from './schema.js';

/**
 * Checks that every node input is a graph input, an initializer, an earlier node's output (nodes are
 * in topological order, onnx/docs/IR.md "Graphs") or, in a subgraph, a name of an enclosing graph; that
 * no name is produced twice; and that every graph output is produced. `source` names the file.
 */
export function checkGraph(graph: GraphProto, source: string, outer: ReadonlySet<string> = new Set()): void {
  const known = new Set(outer);
  const produced = new Set<string>();
  const define = (name: string, by: string) => {
    if (!name) return;
    if (produced.has(name))
      throw new MemLensError('BAD_MODEL', `${source}: tensor '${name}' is produced twice (again by ${by})`);
    produced.add(name);
    known.add(name);
  };
  for (const t of graph.initializer) known.add(t.name);
  for (const s of graph.sparse_initializer) if (s.values) known.add(s.values.name);
  for (const v of graph.input) known.add(v.name);
  graph.node.forEach((node, i) => {
    const label = `node ${i} (${node.op_type}${node.name ? ` '${node.name}'` : ''})`;
    for (const name of node.input) {
      if (name && !known.has(name))
        throw new MemLensError(
          'BAD_MODEL',
          `${source}: ${label} reads tensor '${name}', which nothing before it produces`,
        );
    }
    for (const a of node.attribute) {
      for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) checkGraph(g, source, known);
    }
    for (const name of node.output) define(name, label);
  });
  for (const v of graph.output) {
    if (!known.has(v.name))
      throw new MemLensError('BAD_MODEL', `${source}: graph output '${v.name}' is not produced by any node`);
  }
}
