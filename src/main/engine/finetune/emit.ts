// Emits the ONNX nodes and constants that gradient rules and the training graph add to a model.
// Everything is created through the schema's `create`, so emitted messages encode exactly like
// decoded ones. Names are prefixed and numbered so they never collide with the model's own.
import {
  AttributeType,
  create,
  DataType,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/schema.js';

/** An attribute value: a plain number is an INT, `{ float }` a FLOAT, a number[] INTS. */
export type AttrInit = number | number[] | string | { float: number } | TensorProto;

export function attribute(name: string, v: AttrInit): AttributeProto {
  if (typeof v === 'number') return create('AttributeProto', { name, type: AttributeType.INT, i: v });
  if (typeof v === 'string') return create('AttributeProto', { name, type: AttributeType.STRING, s: Buffer.from(v) });
  if (Array.isArray(v)) return create('AttributeProto', { name, type: AttributeType.INTS, ints: v });
  if ('float' in v) return create('AttributeProto', { name, type: AttributeType.FLOAT, f: v.float });
  return create('AttributeProto', { name, type: AttributeType.TENSOR, t: v });
}

/** A float32 graph input of these dims (numbers, or names for symbolic ones such as the batch). */
export function floatInput(name: string, dims: (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return create('ValueInfoProto', {
    name,
    type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT, shape: { dim } } }),
  });
}

/** A constant tensor of the given element type (float, double, int64 or int32). */
export function tensorProto(name: string, type: DataType, dims: number[], values: ArrayLike<number>): TensorProto {
  const arr =
    type === DataType.DOUBLE
      ? Float64Array.from(values)
      : type === DataType.INT64
        ? BigInt64Array.from(Array.from(values, (v) => BigInt(v)))
        : type === DataType.INT32
          ? Int32Array.from(values)
          : Float32Array.from(values);
  return create('TensorProto', { name, data_type: type, dims, raw_data: new Uint8Array(arr.buffer) });
}

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /**
   * Gradient tensor -> a smaller one with the same sums over every axis but the channel axis (1):
   * MaxPool's input gradient, which only places its output gradient. A Conv's bias gradient reduces
   * the smaller one (grad/conv.ts).
   */
  readonly channelSums = new Map<string, string>();
  private counter = 0;

  /**
   * `opset` is the ai.onnx version of the graph the nodes go into (the reduce ops changed their
   * signature in opset 18); `floatType` the element type of the model's activations.
   */
  constructor(
    readonly opset: number,
    readonly floatType: DataType,
    private readonly prefix = 'memlens_grad',
  ) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  /** Appends one node and returns its output names (`outputs`: a count of fresh names, or the names). */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrInit> = {},
    outputs: number | string[] = 1,
  ): string[] {
    const out = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push(
      create('NodeProto', {
        name: this.fresh(`${opType}_node`),
        op_type: opType,
        input: inputs,
        output: out,
        attribute: attribute_,
      }),
    );
    return out;
  }

  /** Appends a single-output node and returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInit> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  private constant(type: DataType, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh('const');
    this.initializers.push(tensorProto(name, type, dims, values));
    return name;
  }

  /** An int64 constant (axes, shapes, indices as operator inputs); 1-D unless `dims` says otherwise. */
  ints(values: number[], dims = [values.length]): string {
    return this.constant(DataType.INT64, dims, values);
  }

  /** A rank-0 constant of the model's float type. */
  scalar(v: number): string {
    return this.constant(this.floatType, [], [v]);
  }

  /** A constant of the model's float type. */
  floats(dims: number[], values: ArrayLike<number>): string {
    return this.constant(this.floatType, dims, values);
  }

  /** `x` with the shape of `like` (same element count). */
  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.op('Shape', [like])]);
  }

  reshape(x: string, dims: number[]): string {
    return this.op('Reshape', [x, this.ints(dims)]);
  }

  /** The `value` attribute of a ConstantOfShape that fills with zeros of the float type. */
  zerosValue(): TensorProto {
    return tensorProto('value', this.floatType, [1], [0]);
  }

  /** A tensor of zeros with the shape of `like`. */
  zerosLike(like: string): string {
    return this.op('ConstantOfShape', [this.op('Shape', [like])], { value: this.zerosValue() });
  }

  scale(x: string, k: number): string {
    return k === 1 ? x : this.op('Mul', [x, this.scalar(k)]);
  }

  // Reductions: axes were an attribute until opset 13 (ReduceSum) / 18 (the others), an input after.
  reduce(op: 'ReduceSum' | 'ReduceMean', x: string, axes: number[], keepdims: boolean): string {
    const asInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (asInput) return this.op(op, [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  // Unsqueeze and Split take axes / sizes as inputs from opset 13 (the training graph is >= 13).
  unsqueeze(x: string, axes: number[]): string {
    return this.op('Unsqueeze', [x, this.ints(axes)]);
  }

  split(x: string, axis: number, sizes: number[]): string[] {
    return this.node('Split', [x, this.ints(sizes)], { axis }, sizes.length);
  }

  /**
   * `x`'s elements rearranged into `dims`: element t of the result (row-major) is element order[t]
   * of x. One Gather on the flattened tensor: on weight-sized tensors onnxruntime ran it 2-3x
   * faster than the Slice/Transpose chains it replaces. int32 indices: half the memory of int64
   * (the order is as large as the weight), and weights stay far below 2^31 elements.
   */
  rearrange(x: string, order: number[], dims: number[]): string {
    return this.reshape(
      this.op('Gather', [this.reshape(x, [-1]), this.constant(DataType.INT32, [order.length], order)], { axis: 0 }),
      dims,
    );
  }

  transpose(x: string, perm: number[]): string {
    return perm.every((p, i) => p === i) ? x : this.op('Transpose', [x], { perm });
  }

  /** Sum of several gradient contributions (a tensor with several consumers). */
  sum(xs: string[]): string {
    return xs.length === 1 ? xs[0] : this.op('Sum', xs);
  }
}
