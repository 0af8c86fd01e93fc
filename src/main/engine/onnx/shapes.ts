// Tensor shapes of a graph: declared ones (graph inputs/outputs, value_info, initializers).
import type { GraphIndex } from './graph-index.js';
import type { TensorShapeProto, ValueInfoProto } from './schema.js';

/** A dimension: a size, or a symbolic name such as "batch". */
export type Dim = number | string;
/** Shapes to assume for graph inputs (e.g. a concrete batch size), by input name. */
export type InputShapes = Record<string, Dim[]>;

function declared(v: ValueInfoProto | undefined): Dim[] | undefined {
  const shape: TensorShapeProto | null | undefined = v?.type?.tensor_type?.shape;
  if (!shape) return undefined;
  return shape.dim.map((d) => (d.value === 'dim_value' ? Number(d.dim_value) : d.dim_param || '?'));
}

export function inferShapes(index: GraphIndex, inputShapes: InputShapes = {}): Map<string, Dim[]> {
  const shapes = new Map<string, Dim[]>();
  const g = index.graph;
  for (const t of g.initializer) shapes.set(t.name, t.dims.map(Number));
  for (const v of [...g.input, ...g.output, ...g.value_info]) {
    const s = inputShapes[v.name] ?? declared(v);
    if (s && !shapes.has(v.name)) shapes.set(v.name, s);
  }
  return shapes;
}
