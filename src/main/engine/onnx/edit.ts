// Graph edits. Each is a pure function: it returns a modified copy and never mutates its input, so a
// loaded model stays the pristine source. Copies are shallow: untouched nodes and tensors are shared.
import { MemLensError } from '../errors.js';
import {
  AttributeType,
  copyMessage,
  create,
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './schema.js';
import { indexModel, type GraphIndex } from './graph-index.js';
import { opsetVersion } from './opset.js';
import { elementBytes, elementCount, int64Tensor } from './tensor.js';

/** The graph arrays an edit may change; the arrays are fresh copies, their elements are shared. */
export type GraphDraft = Pick<GraphProto, 'node' | 'initializer' | 'input' | 'output' | 'value_info'>;

/** Copies the graph's arrays, lets `fn` change them, and returns a model with the new graph. */
export function editGraph(proto: ModelProto, fn: (g: GraphDraft) => void): ModelProto {
  const g = proto.graph;
  if (!g) throw new MemLensError('BAD_MODEL', 'model has no graph');
  const draft: GraphDraft = {
    node: [...g.node],
    initializer: [...g.initializer],
    input: [...g.input],
    output: [...g.output],
    value_info: [...g.value_info],
  };
  fn(draft);
  return copyMessage(proto, { graph: copyMessage(g, draft) });
}

/** The provenance key of every export: the sha256 of the model it was made from. */
export const SOURCE_SHA256_KEY = 'memlens.source_sha256';

/** Sets metadata_props entries (provenance); existing keys are replaced, others kept. */
export function setMetadata(proto: ModelProto, entries: Record<string, string>): ModelProto {
  const kept = proto.metadata_props.filter((e) => !(e.key in entries));
  const added = Object.entries(entries).map(([key, value]) => create('StringStringEntryProto', { key, value }));
  return copyMessage(proto, { metadata_props: [...kept, ...added] });
}

export interface Tap {
  tensor: string;
  /**
   * spatial: mean over H,W of [N,C,H,W]; tokens: mean over T of [N,T,C] (or [T,N,C]); none: as is;
   * units: mean over every axis but the batch and `unitAxis` (docs/UNITS.md "Unit axes").
   */
  reduce: 'spatial' | 'tokens' | 'none' | 'units';
  /** For 'units': the axis holding the units. */
  unitAxis?: number;
  /** Positive part (Relu) before the mean: the rate policy's rectification (docs/UNITS.md). */
  rectify?: boolean;
  /** Keep only units [start, end) of the mean (a layer's channels inside a Concat). */
  units?: [number, number];
  /** Output name; default "<tensor>/memlens_mean" (or the tensor itself for 'none'). */
  name?: string;
}

/** The batch axis of a tensor: 0, or 1 in torch's nn.MultiheadAttention [T, B, C] (seen from the shapes). */
function batchAxis(tensor: string, index: GraphIndex): number {
  const batch = index.shape(index.inputs()[0]?.name ?? '')?.[0];
  const shape = index.shape(tensor);
  return batch !== undefined && shape?.length === 3 && shape[1] === batch && shape[0] !== batch ? 1 : 0;
}

/** The axes a mean tap averages. */
function tapAxes(tap: Tap, index: GraphIndex): number[] {
  const b = batchAxis(tap.tensor, index);
  if (tap.reduce === 'tokens') return [b === 1 ? 0 : 1];
  const rank = index.shape(tap.tensor)?.length;
  const unit = tap.unitAxis;
  if (rank === undefined || unit === undefined || unit <= b || unit >= rank) {
    throw new MemLensError(
      'UNSUPPORTED',
      `cannot average ${tap.tensor} per unit: its rank or unit axis ${unit} is unknown or before the batch axis`,
    );
  }
  return [...Array(rank).keys()].filter((a) => a !== b && a !== unit);
}

/** The element type a value_info declares for `tensor`, if any. */
function elemType(g: GraphProto, tensor: string): DataType | undefined {
  const v = [...g.value_info, ...g.output, ...g.input].find((x) => x.name === tensor);
  return (v?.type?.tensor_type?.elem_type as DataType | undefined) || undefined;
}

/** A graph output; without a known type onnxruntime infers it (a wrong one would be an error). */
function outputInfo(name: string, type: DataType | undefined): ValueInfoProto {
  if (type === undefined) return create('ValueInfoProto', { name });
  return create('ValueInfoProto', { name, type: create('TypeProto', { tensor_type: { elem_type: type } }) });
}

/**
 * Adds graph outputs for `taps`, each reduced to [N, C] unless reduce is 'none'. Spatial means are
 * GlobalAveragePool + Flatten: onnxruntime runs GlobalAveragePool in its blocked (NCHWc) conv layout,
 * where a ReduceMean tap forces a reorder of the tapped map (measured on the demo CNN with 8 taps:
 * 4,800 vs 4,100 images/s). Other means are ReduceMean (keepdims=0), whose `axes` is an attribute
 * before opset 18 and an input from 18 on. Taps of the same units of one tensor with the same
 * rectification share one mean (a ResNet block output read by conv2 and the downsample conv).
 */
export function addOutputs(proto: ModelProto, taps: readonly Tap[]): ModelProto {
  const g = proto.graph!;
  const index = indexModel(proto);
  const axesAsInput = opsetVersion(proto) >= 18;
  const produced = new Set<string>([
    ...g.node.flatMap((n) => n.output),
    ...g.input.map((i) => i.name),
    ...g.initializer.map((t) => t.name),
  ]);
  return editGraph(proto, (d) => {
    const means = new Map<string, string>();
    const ints = (name: string, values: number[]) => {
      d.initializer.push(int64Tensor(name, [values.length], values));
      return name;
    };
    taps.forEach((tap, i) => {
      if (!produced.has(tap.tensor))
        throw new MemLensError('BAD_INPUT', `cannot tap ${tap.tensor}: no such tensor in the graph`);
      const type = elemType(g, tap.tensor);
      if (tap.reduce === 'none') {
        const name = tap.name ?? tap.tensor;
        if (name !== tap.tensor) d.node.push(node('Identity', [tap.tensor], [name], `memlens_tap_${i}`));
        if (!d.output.some((o) => o.name === name)) d.output.push(outputInfo(name, type));
        return;
      }
      const name = tap.name ?? `${tap.tensor}/memlens_mean`;
      d.output.push(outputInfo(name, type));
      const spatial =
        tap.reduce === 'spatial' ||
        (tap.reduce === 'units' &&
          tap.unitAxis === 1 &&
          index.shape(tap.tensor)?.length === 4 &&
          batchAxis(tap.tensor, index) === 0);
      const axes = spatial ? [2, 3] : tapAxes(tap, index);
      // A layer's channels inside a wider tensor (a Concat) are sliced before the mean, which then
      // reads only them: DenseNet's layers add 32 channels to tensors of up to 1,024.
      const part =
        tap.units && !(tap.units[0] === 0 && index.shape(tap.tensor)?.[tap.unitAxis ?? -1] === tap.units[1])
          ? tap.units
          : undefined;
      const key = `${tap.tensor}|${tap.rectify ? 'relu' : ''}|${axes.join(',')}|${part?.join(':') ?? ''}`;
      const shared = means.get(key);
      if (shared) {
        d.node.push(node('Identity', [shared], [name], `memlens_tap_${i}/share`));
        return;
      }
      means.set(key, name);
      let x = tap.tensor;
      if (part) {
        const [start, end] = part;
        d.node.push(
          node(
            'Slice',
            [x, ints(`${name}/start`, [start]), ints(`${name}/end`, [end]), ints(`${name}/axis`, [tap.unitAxis!])],
            [`${name}/units`],
            `memlens_tap_${i}/units`,
          ),
        );
        x = `${name}/units`;
      }
      if (tap.rectify) {
        d.node.push(node('Relu', [x], [`${name}/relu`], `memlens_tap_${i}/relu`));
        x = `${name}/relu`;
      }
      if (spatial) {
        d.node.push(node('GlobalAveragePool', [x], [`${name}/pooled`], `memlens_tap_${i}`));
        d.node.push(node('Flatten', [`${name}/pooled`], [name], `memlens_tap_${i}/flatten`, { axis: 1 }));
      } else if (axes.length === 0) {
        d.node.push(node('Identity', [x], [name], `memlens_tap_${i}`));
      } else {
        const reduce = node('ReduceMean', [x], [name], `memlens_tap_${i}`, { keepdims: 0 });
        if (axesAsInput) reduce.input.push(ints(`${name}/axes`, axes));
        else reduce.attribute.push(create('AttributeProto', { name: 'axes', type: AttributeType.INTS, ints: axes }));
        d.node.push(reduce);
      }
    });
  });
}

/** A new node; integer attributes only (what edits need), more via `node.attribute.push`. */
export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  ints: Record<string, number> = {},
): NodeProto {
  const attribute = Object.entries(ints).map(([n, i]) =>
    create('AttributeProto', { name: n, type: AttributeType.INT, i }),
  );
  return create('NodeProto', { op_type: op, input: inputs, output: outputs, name, attribute });
}

/** Removes the nodes (by identity or node name). Their outputs must no longer be read (see rewire). */
export function removeNodes(proto: ModelProto, nodes: readonly (NodeProto | string)[]): ModelProto {
  const gone = new Set<NodeProto | string>(nodes);
  return editGraph(proto, (d) => {
    d.node = d.node.filter((n) => !gone.has(n) && !(n.name && gone.has(n.name)));
  });
}

/**
 * Makes every reader of tensor `from` read `to` instead (to bypass or replace a node). Where `from` is
 * a graph output, an Identity keeps the output's name, so the model's interface does not change.
 */
export function rewire(proto: ModelProto, from: string, to: string): ModelProto {
  return editGraph(proto, (d) => {
    d.node = d.node.map((n) =>
      n.input.includes(from) ? copyMessage(n, { input: n.input.map((i) => (i === from ? to : i)) }) : n,
    );
    if (d.output.some((o) => o.name === from)) {
      d.node = d.node.filter((n) => !n.output.includes(from));
      d.node.push(node('Identity', [to], [from], `memlens_rewire_${from}`));
    }
  });
}

/** Replaces initializers by name (e.g. sliced weights); every replacement must exist. */
export function replaceInitializers(proto: ModelProto, tensors: readonly TensorProto[]): ModelProto {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return editGraph(proto, (d) => {
    const missing = tensors.filter((t) => !d.initializer.some((x) => x.name === t.name));
    if (missing.length)
      throw new MemLensError('BAD_INPUT', `no initializer named ${missing.map((t) => t.name).join(', ')}`);
    d.initializer = d.initializer.map((t) => byName.get(t.name) ?? t);
  });
}

/** Drops nodes and initializers that no graph output depends on (after removals and rewiring). */
export function removeUnused(proto: ModelProto): ModelProto {
  return editGraph(proto, (d) => {
    const producer = new Map<string, NodeProto>();
    for (const n of d.node) for (const o of n.output) producer.set(o, n);
    const needed = new Set<string>();
    const live = new Set<NodeProto>();
    const stack = d.output.map((o) => o.name);
    while (stack.length) {
      const t = stack.pop()!;
      if (needed.has(t)) continue;
      needed.add(t);
      const n = producer.get(t);
      if (n && !live.has(n)) {
        live.add(n);
        stack.push(...n.input.filter(Boolean));
      }
    }
    d.node = d.node.filter((n) => live.has(n));
    d.initializer = d.initializer.filter((t) => needed.has(t.name));
    d.value_info = d.value_info.filter((v) => needed.has(v.name));
  });
}

/**
 * A copy of `t` keeping only `keep` (indices, in the order given) along `axis`; works on raw_data of
 * any fixed-size type (float weights and typed float_data are both accepted).
 */
export function sliceInitializer(t: TensorProto, axis: number, keep: readonly number[]): TensorProto {
  const dims = t.dims.map(Number);
  if (axis < 0 || axis >= dims.length)
    throw new MemLensError('BAD_INPUT', `tensor ${t.name}: axis ${axis} out of range for dims [${dims}]`);
  const bad = keep.find((k) => !Number.isInteger(k) || k < 0 || k >= dims[axis]);
  if (bad !== undefined)
    throw new MemLensError(
      'BAD_INPUT',
      `tensor ${t.name}: index ${bad} out of range 0..${dims[axis] - 1} on axis ${axis}`,
    );
  const size = elementBytes(t.data_type);
  if (!size) throw new MemLensError('UNSUPPORTED', `tensor ${t.name}: cannot slice data type ${DataType[t.data_type]}`);
  const src = rawBytes(t, size);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1) * size;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const out = new Uint8Array(outer * keep.length * inner);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const start = (o * dims[axis] + k) * inner;
      out.set(src.subarray(start, start + inner), pos);
      pos += inner;
    }
  }
  const sliced = copyMessage(t, { dims: dims.map((d, i) => (i === axis ? keep.length : d)), raw_data: out });
  delete (sliced as Partial<TensorProto>).float_data;
  return sliced;
}

function rawBytes(t: TensorProto, size: number): Uint8Array {
  if (t.raw_data.byteLength === elementCount(t) * size) return t.raw_data;
  if (t.data_type === DataType.FLOAT && t.float_data.length === elementCount(t)) {
    return new Uint8Array(Float32Array.from(t.float_data).buffer);
  }
  throw new MemLensError('BAD_MODEL', `tensor ${t.name}: data does not match dims [${t.dims}]`);
}
