// Lookup tables over one GraphProto: who produces and who consumes a tensor, initializers and
// constants, node order. Built once per graph (O(nodes + edges)); the graph must not be mutated
// while an index over it is in use (edits return copies; index the copy).
import { MemLensError } from '../errors.js';
import { sameDims } from './dims.js';
import { opsetVersion } from './opset.js';
import {
  AttributeType,
  type AttributeProto,
  type ModelProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './schema.js';
import { inferShapes, type Dim, type InputShapes } from './shapes.js';
import { int64Tensor } from './tensor.js';

export class GraphIndex {
  readonly graph: GraphProto;
  private readonly producers = new Map<string, NodeProto>();
  private readonly consumerMap = new Map<string, NodeProto[]>();
  private readonly initializers = new Map<string, TensorProto>();
  private readonly valueInfos = new Map<string, ValueInfoProto>();
  private readonly nodesByName = new Map<string, NodeProto>();
  private order?: NodeProto[];
  private shapes?: Map<string, Dim[]>;

  /** Version of the default operator set (semantics of ops such as ReduceMean depend on it). */
  readonly opset: number;

  constructor(
    graph: GraphProto,
    opset: number,
    private readonly inputShapes?: InputShapes,
  ) {
    this.graph = graph;
    this.opset = opset;
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    for (const v of [...graph.input, ...graph.output, ...graph.value_info])
      if (!this.valueInfos.has(v.name)) this.valueInfos.set(v.name, v);
    for (const n of graph.node) {
      if (n.name) this.nodesByName.set(n.name, n);
      for (const o of n.output) if (o) this.producers.set(o, n);
      for (const i of n.input) {
        if (!i) continue; // an omitted optional input
        const list = this.consumerMap.get(i);
        if (list) {
          if (!list.includes(n)) list.push(n);
        } else this.consumerMap.set(i, [n]);
      }
    }
  }

  /** The node whose output is `tensor`; undefined for graph inputs and initializers. */
  producer(tensor: string): NodeProto | undefined {
    return this.producers.get(tensor);
  }

  /** Nodes reading `tensor` (each once, in graph order). */
  consumers(tensor: string): NodeProto[] {
    return this.consumerMap.get(tensor) ?? [];
  }

  initializer(name: string): TensorProto | undefined {
    return this.initializers.get(name);
  }

  node(name: string): NodeProto | undefined {
    return this.nodesByName.get(name);
  }

  valueInfo(name: string): ValueInfoProto | undefined {
    return this.valueInfos.get(name);
  }

  /** Graph inputs that are real inputs (some exporters also list initializers as inputs). */
  inputs(): ValueInfoProto[] {
    return this.graph.input.filter((v) => !this.initializers.has(v.name));
  }

  /**
   * True for initializers and outputs of Constant nodes, also behind Identity nodes (torch.onnx
   * deduplicates equal initializers into Identity(first copy), e.g. zero-initialized biases).
   */
  isConstant(name: string): boolean {
    return this.constantTensor(name) !== undefined;
  }

  /** The value of a constant (see isConstant) as a tensor; Constant's value_int(s) forms converted. */
  constantTensor(name: string): TensorProto | undefined {
    for (let depth = 0; depth < 16; depth++) {
      const init = this.initializers.get(name);
      if (init) return init;
      const p = this.producers.get(name);
      if (p?.op_type === 'Constant') return constantNodeValue(p);
      if (p?.op_type !== 'Identity') return undefined;
      name = p.input[0];
    }
    return undefined;
  }

  /**
   * Nodes in an order where every node comes after the producers of its inputs: the graph's own
   * order when it already is one (ONNX requires it, and it is the exporter's forward order), else a
   * depth-first order that stays as close to the file's order as the dependencies allow.
   */
  topologicalOrder(): NodeProto[] {
    this.order ??= this.isSorted() ? this.graph.node : this.sortDepthFirst();
    return this.order;
  }

  private isSorted(): boolean {
    const done = new Set<NodeProto>();
    for (const n of this.graph.node) {
      for (const i of n.input) {
        const p = i ? this.producers.get(i) : undefined;
        if (p && !done.has(p)) return false;
      }
      done.add(n);
    }
    return true;
  }

  private sortDepthFirst(): NodeProto[] {
    const state = new Map<NodeProto, 'open' | 'done'>();
    const order: NodeProto[] = [];
    for (const root of this.graph.node) {
      if (state.has(root)) continue;
      // Iterative DFS (graphs can be thousands of nodes deep): emit a node after all its producers.
      const stack: { n: NodeProto; k: number }[] = [{ n: root, k: 0 }];
      state.set(root, 'open');
      while (stack.length) {
        const top = stack[stack.length - 1];
        const input = top.n.input[top.k++];
        if (input === undefined) {
          stack.pop();
          state.set(top.n, 'done');
          order.push(top.n);
          continue;
        }
        const p = input ? this.producers.get(input) : undefined;
        if (!p || state.get(p) === 'done') continue;
        if (state.get(p) === 'open')
          throw new MemLensError(
            'BAD_MODEL',
            `graph ${this.graph.name}: has a cycle through node ${p.name || p.op_type}`,
          );
        state.set(p, 'open');
        stack.push({ n: p, k: 0 });
      }
    }
    return order;
  }

  /**
   * A tensor's shape: dims are numbers or symbolic names (e.g. "batch"); undefined where unknown.
   * From value_info and graph inputs/outputs, else inferred for the common ops (see shapes.ts).
   */
  shape(tensor: string): Dim[] | undefined {
    this.shapes ??= inferShapes(this, this.inputShapes);
    return this.shapes.get(tensor);
  }
}

/** An index over a model's main graph. */
export function indexModel(proto: ModelProto, inputShapes?: InputShapes): GraphIndex {
  if (!proto.graph) throw new MemLensError('BAD_MODEL', 'model has no graph');
  return new GraphIndex(proto.graph, opsetVersion(proto), inputShapes);
}

/** Whether both tensors' shapes are known and equal (symbolic dims by name). */
export function sameShape(index: GraphIndex, a: string, b: string): boolean {
  return sameDims(index.shape(a), index.shape(b));
}

/** A node's attribute by name. */
export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a ? Number(a.i) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints.map(Number) : undefined;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a ? a.f : fallback;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = attr(node, name);
  return a ? Buffer.from(a.s).toString('utf8') : fallback;
}

/** Constant's value as a tensor, whichever of value / value_int(s) / value_float(s) it uses. */
function constantNodeValue(node: NodeProto): TensorProto | undefined {
  const a = node.attribute[0];
  if (!a) return undefined;
  switch (a.type) {
    case AttributeType.TENSOR:
      return a.t ?? undefined;
    case AttributeType.INT:
      return int64Tensor(node.output[0], [], [Number(a.i)]);
    case AttributeType.INTS:
      return int64Tensor(node.output[0], [a.ints.length], a.ints.map(Number));
    default:
      return undefined; // value_float(s), value_string(s), sparse: not needed for graph analysis
  }
}
