// Tensor shapes of a graph: declared ones (graph inputs/outputs, value_info, initializers), then
// inferred node by node in topological order (shape-rules.ts). Shape subgraphs (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape, as torch.onnx emits for dynamic batch sizes) are constant-folded on
// small integer values, which may hold symbolic dims, so Reshape targets resolve without running.
import { attr, attrInt, type GraphIndex } from './graph-index.js';
import { divDims, mulDims } from './dims.js';
import { DataType, type TensorShapeProto, type ValueInfoProto } from './schema.js';
import { outputShapes, type ShapeContext } from './shape-rules.js';
import { elementCount, tensorToInts, tensorToNumbers } from './tensor.js';

/** A dimension: a size, or a symbolic name such as "batch". */
export type Dim = number | string;
/** Shapes to assume for graph inputs (e.g. a concrete batch size), by input name. */
export type InputShapes = Record<string, Dim[]>;

/** Integer tensors up to this many elements are constant-folded (shapes, axes, indices). */
const MAX_VALUES = 64;
const INT_TYPES = new Set([
  DataType.INT64,
  DataType.INT32,
  DataType.INT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.BOOL,
]);

function declared(v: ValueInfoProto | undefined): Dim[] | undefined {
  const shape: TensorShapeProto | null | undefined = v?.type?.tensor_type?.shape;
  if (!shape) return undefined;
  // `value` names the oneof member on decoded dims; created ones may only set dim_value/dim_param.
  return shape.dim.map((d) => {
    const which = d.value ?? (d.dim_param ? 'dim_param' : d.dim_value !== undefined ? 'dim_value' : undefined);
    return which === 'dim_value' ? Number(d.dim_value) : d.dim_param || '?';
  });
}

type Values = Map<string, Dim[]>;

/** Elementwise op over values, broadcasting length-1 operands. */
function zip(a: Dim[] | undefined, b: Dim[] | undefined, f: (x: Dim, y: Dim) => Dim | undefined): Dim[] | undefined {
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]);
    if (r === undefined) return undefined;
    out.push(r);
  }
  return out;
}

const num = (f: (x: number, y: number) => number) => (x: Dim, y: Dim) =>
  typeof x === 'number' && typeof y === 'number' ? f(x, y) : undefined;

/** Folds the value of output 0 of a node over shape-like integer tensors. */
function foldValue(c: ShapeContext, shapeOut: Dim[] | undefined): Dim[] | undefined {
  const n = c.node;
  switch (n.op_type) {
    case 'Shape': {
      const x = c.shape(0);
      if (!x) return undefined;
      const end = attr(n, 'end') ? attrInt(n, 'end', 0) : x.length;
      return x.slice(attrInt(n, 'start', 0), end);
    }
    case 'Gather': {
      const [x, idx] = [c.value(0), c.value(1)];
      if (!x || !idx || attrInt(n, 'axis', 0) !== 0) return undefined;
      const picked = idx.map((i) => x[Number(i) < 0 ? Number(i) + x.length : Number(i)]);
      return picked.some((d) => d === undefined) ? undefined : picked;
    }
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Identity':
    case 'Cast':
    case 'Reshape':
    case 'Flatten':
      return c.value(0);
    case 'Concat': {
      const parts = n.input.map((_, i) => c.value(i));
      return parts.every((p) => p) ? (parts.flat() as Dim[]) : undefined;
    }
    case 'Slice': {
      const [x, s, e] = [c.value(0), c.value(1), c.value(2)];
      if (!x || !s || !e || (n.input[3] && c.value(3)?.[0] !== 0) || (n.input[4] && c.value(4)?.[0] !== 1))
        return undefined;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x.length : v, 0), x.length);
      return x.slice(clamp(Number(s[0])), clamp(Number(e[0])));
    }
    case 'Add':
      return zip(
        c.value(0),
        c.value(1),
        num((a, b) => a + b),
      );
    case 'Sub':
      return zip(
        c.value(0),
        c.value(1),
        num((a, b) => a - b),
      );
    case 'Mul':
      return zip(c.value(0), c.value(1), (a, b) => mulDims([a, b]));
    case 'Div':
      // Integer division (these are int64 shape values): exact symbolic quotient or truncation.
      return zip(c.value(0), c.value(1), (a, b) =>
        typeof a === 'number' && typeof b === 'number' ? Math.trunc(a / b) : divDims(a, b),
      );
    case 'Equal':
      // A symbolic dim is a size, so it never equals a negative sentinel such as -1.
      return zip(c.value(0), c.value(1), (a, b) =>
        a === b
          ? 1
          : typeof a === 'number' && typeof b === 'number'
            ? 0
            : (typeof a === 'number' && a < 0) || (typeof b === 'number' && b < 0)
              ? 0
              : undefined,
      );
    case 'Where': {
      // Select by index so symbolic entries pass through untouched.
      const [cond, a, b] = [c.value(0), c.value(1), c.value(2)];
      if (!cond || !a || !b) return undefined;
      const n = Math.max(cond.length, a.length, b.length);
      if ([cond, a, b].some((v) => v.length !== n && v.length !== 1)) return undefined;
      const at = (v: Dim[], i: number) => v[v.length === 1 ? 0 : i];
      return Array.from({ length: n }, (_, i) => (at(cond, i) ? at(a, i) : at(b, i)));
    }
    case 'ConstantOfShape': {
      if (!shapeOut || !shapeOut.every((d) => typeof d === 'number')) return undefined;
      const count = (shapeOut as number[]).reduce((a, b) => a * b, 1);
      // `value` may have any element type (it is the output's); only integer fills are shape values.
      const v = attr(n, 'value')?.t;
      if (v && !INT_TYPES.has(v.data_type)) return undefined;
      return count <= MAX_VALUES ? new Array(count).fill(v ? (tensorToInts(v)[0] ?? 0) : 0) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Declared dims win over inferred ones (exporters know data-dependent sizes), except where the
 * declaration is only a name the exporter made up (e.g. "Gatherembedding_dim_1") and inference has
 * the number.
 */
function merge(declared: Dim[] | undefined, inferred: Dim[]): Dim[] {
  if (!declared) return inferred;
  if (declared.length !== inferred.length) return declared;
  return declared.map((d, i) => (typeof d === 'string' && typeof inferred[i] === 'number' ? inferred[i] : d));
}

/** Shapes of every tensor that can be determined statically. */
export function inferShapes(index: GraphIndex, inputShapes: InputShapes = {}): Map<string, Dim[]> {
  const shapes = new Map<string, Dim[]>();
  const values: Values = new Map();
  const g = index.graph;
  for (const t of g.initializer) {
    shapes.set(t.name, t.dims.map(Number));
    if (INT_TYPES.has(t.data_type) && elementCount(t) <= MAX_VALUES) values.set(t.name, tensorToInts(t));
  }
  for (const v of [...g.input, ...g.output, ...g.value_info]) {
    const s = inputShapes[v.name] ?? declared(v);
    if (s && !shapes.has(v.name)) shapes.set(v.name, s);
  }
  const opset = index.opset;
  for (const node of index.topologicalOrder()) {
    if (node.op_type === 'Constant') {
      const t = index.constantTensor(node.output[0]);
      if (t) {
        shapes.set(node.output[0], t.dims.map(Number));
        if (INT_TYPES.has(t.data_type) && elementCount(t) <= MAX_VALUES) values.set(node.output[0], tensorToInts(t));
      }
      continue;
    }
    const ctx: ShapeContext = {
      node,
      opset,
      shape: (i) => (node.input[i] ? shapes.get(node.input[i]) : undefined),
      value: (i) => (node.input[i] ? values.get(node.input[i]) : undefined),
      constant: (i) => {
        const t = node.input[i] ? index.constantTensor(node.input[i]) : undefined;
        return t && elementCount(t) <= MAX_VALUES ? tensorToNumbers(t) : undefined;
      },
    };
    const outs = outputShapes(ctx);
    node.output.forEach((o, i) => {
      const s = outs[i];
      if (s) shapes.set(o, merge(shapes.get(o), s));
    });
    const v = foldValue(ctx, shapes.get(node.output[0]));
    if (v && v.length <= MAX_VALUES) values.set(node.output[0], v);
  }
  return shapes;
}
