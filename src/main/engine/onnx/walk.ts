// Visits every TensorProto a model holds: initializers, sparse initializers, Constant values and
// other tensor attributes, in the main graph, in subgraphs (If/Loop/Scan bodies), functions and
// training graphs. External data may be attached to any of them.
import type { GraphProto, ModelProto, NodeProto, SparseTensorProto, TensorProto } from './schema.js';

export type TensorVisitor = (t: TensorProto) => void;

function visitSparse(s: SparseTensorProto | null | undefined, fn: TensorVisitor): void {
  if (s?.values) fn(s.values);
  if (s?.indices) fn(s.indices);
}

function visitNodes(nodes: readonly NodeProto[], fn: TensorVisitor): void {
  for (const n of nodes) {
    for (const a of n.attribute) {
      if (a.t) fn(a.t);
      a.tensors.forEach(fn);
      visitSparse(a.sparse_tensor, fn);
      for (const s of a.sparse_tensors) visitSparse(s, fn);
      if (a.g) forEachGraphTensor(a.g, fn);
      for (const g of a.graphs) forEachGraphTensor(g, fn);
    }
  }
}

export function forEachGraphTensor(g: GraphProto, fn: TensorVisitor): void {
  g.initializer.forEach(fn);
  for (const s of g.sparse_initializer) visitSparse(s, fn);
  visitNodes(g.node, fn);
}

export function forEachTensor(m: ModelProto, fn: TensorVisitor): void {
  if (m.graph) forEachGraphTensor(m.graph, fn);
  for (const f of m.functions) visitNodes(f.node, fn);
  for (const t of m.training_info) {
    if (t.initialization) forEachGraphTensor(t.initialization, fn);
    if (t.algorithm) forEachGraphTensor(t.algorithm, fn);
  }
}
