// Output shapes of the common ops, from input shapes and (for shape-like inputs) constant-folded
// values. Written from the ONNX operator spec; an op not listed here leaves its outputs unknown.
import { attr, attrInt, attrInts } from './graph-index.js';
import { broadcastShapes, divDims, mulDims } from './dims.js';
import { opsWith } from './op-traits.js';
import type { NodeProto } from './schema.js';
import type { Dim } from './shapes.js';

export interface ShapeContext {
  node: NodeProto;
  opset: number;
  /** Shape of the node's i-th input (undefined when unknown or the input is omitted). */
  shape(i: number): Dim[] | undefined;
  /** Constant-folded values of a small integer input (shapes, axes, starts...). */
  value(i: number): Dim[] | undefined;
  /** Values of a constant input of any numeric type (e.g. Resize scales). */
  constant(i: number): number[] | undefined;
}

type Rule = (c: ShapeContext) => (Dim[] | undefined)[] | undefined;

const same: Rule = (c) => [c.shape(0)];
const broadcast: Rule = (c) => {
  const shapes = c.node.input.map((_, i) => c.shape(i));
  return shapes.every((s) => s) ? [broadcastShapes(shapes as Dim[][])] : undefined;
};
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Spatial output size of a sliding window (Conv, pools), per the operator spec's formulas. */
function windowed(c: ShapeContext, channels: Dim, kernel: number[]): Dim[] | undefined {
  const x = c.shape(0);
  if (!x) return undefined;
  const n = kernel.length;
  const strides = attrInts(c.node, 'strides') ?? new Array(n).fill(1);
  const dil = attrInts(c.node, 'dilations') ?? new Array(n).fill(1);
  const pads = attrInts(c.node, 'pads') ?? new Array(2 * n).fill(0);
  const autoPad = attr(c.node, 'auto_pad') ? Buffer.from(attr(c.node, 'auto_pad')!.s).toString() : 'NOTSET';
  const ceil = attrInt(c.node, 'ceil_mode', 0) === 1;
  const spatial = x.slice(2).map((d, i) => {
    if (typeof d !== 'number') return d;
    const k = dil[i] * (kernel[i] - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    const padded = autoPad === 'VALID' ? d : d + pads[i] + pads[i + n];
    const span = (padded - k) / strides[i];
    return (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  });
  return [x[0], channels, ...spatial];
}

/** Input `i`'s values if given as an input, else the attribute (ops that moved attrs to inputs). */
function intsFrom(c: ShapeContext, i: number, name: string): Dim[] | undefined {
  if (c.node.input[i]) return c.value(i);
  return attrInts(c.node, name);
}

function reduce(c: ShapeContext, axesInput: boolean): (Dim[] | undefined)[] | undefined {
  const x = c.shape(0);
  if (!x) return undefined;
  const axes = (axesInput ? intsFrom(c, 1, 'axes') : attrInts(c.node, 'axes'))?.map((a) => norm(Number(a), x.length));
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  const all = !axes || axes.length === 0;
  if (all && attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [x];
  const hit = (i: number) => all || axes!.includes(i);
  return [keep ? x.map((d, i) => (hit(i) ? 1 : d)) : x.filter((_, i) => !hit(i))];
}

function sliceDim(d: Dim, start: number, end: number, step: number): Dim {
  if (typeof d !== 'number') return start === 0 && end >= Number.MAX_SAFE_INTEGER && step === 1 ? d : '?';
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + d : start;
  const e = end < 0 ? end + d : end;
  const [a, b] = step > 0 ? [clamp(s, 0, d), clamp(e, 0, d)] : [clamp(s, 0, d - 1), clamp(e, -1, d - 1)];
  return Math.max(0, Math.ceil((b - a) / step));
}

const RULES: Record<string, Rule> = {
  Conv(c) {
    const w = c.shape(1);
    return w ? [windowed(c, w[0], (attrInts(c.node, 'kernel_shape') ?? w.slice(2)).map(Number))] : undefined;
  },
  MaxPool(c) {
    const x = c.shape(0);
    return x ? [windowed(c, x[1], attrInts(c.node, 'kernel_shape') ?? [])] : undefined;
  },
  GlobalAveragePool: (c) => [c.shape(0)?.map((d, i) => (i < 2 ? d : 1))],
  Gemm(c) {
    const [a, b] = [c.shape(0), c.shape(1)];
    if (!a || !b) return undefined;
    return [[attrInt(c.node, 'transA', 0) ? a[1] : a[0], attrInt(c.node, 'transB', 0) ? b[0] : b[1]]];
  },
  MatMul(c) {
    const [a, b] = [c.shape(0), c.shape(1)];
    if (!a || !b) return undefined;
    const a2 = a.length === 1 ? [1, a[0]] : a;
    const b2 = b.length === 1 ? [b[0], 1] : b;
    const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
    const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
    if (a.length === 1) out.splice(out.length - 2, 1);
    if (b.length === 1) out.pop();
    return [out];
  },
  Flatten(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    const axis = norm(attrInt(c.node, 'axis', 1), x.length);
    return [[mulDims(x.slice(0, axis)), mulDims(x.slice(axis))]];
  },
  Reshape(c) {
    const [x, target] = [c.shape(0), c.value(1)];
    if (!target) return undefined;
    const allowZero = attrInt(c.node, 'allowzero', 0) === 1;
    const out = target.map((d, i) => (d === 0 && !allowZero ? (x?.[i] ?? '?') : d));
    const hole = out.indexOf(-1);
    if (hole >= 0) {
      const known = mulDims(out.filter((_, i) => i !== hole));
      out[hole] = (x && divDims(mulDims(x), known)) ?? '?';
    }
    return [out];
  },
  Transpose(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    const perm = attrInts(c.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
    return [perm.map((p) => x[p])];
  },
  Concat(c) {
    const shapes = c.node.input.map((_, i) => c.shape(i));
    if (!shapes.every((s) => s)) return undefined;
    const first = shapes[0]!;
    const axis = norm(attrInt(c.node, 'axis', 0), first.length);
    return [first.map((d, i) => (i === axis ? sumDims(shapes.map((s) => s![i])) : d))];
  },
  Split(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    const axis = norm(attrInt(c.node, 'axis', 0), x.length);
    const n = c.node.output.length;
    const sizes =
      intsFrom(c, 1, 'split') ?? (typeof x[axis] === 'number' ? new Array(n).fill((x[axis] as number) / n) : undefined);
    return c.node.output.map((_, k) => (sizes ? x.map((d, i) => (i === axis ? sizes[k] : d)) : undefined));
  },
  Slice(c) {
    const x = c.shape(0);
    const starts = intsFrom(c, 1, 'starts')?.map(Number);
    const ends = intsFrom(c, 2, 'ends')?.map(Number);
    if (!x || !starts || !ends) return undefined;
    const axes = (intsFrom(c, 3, 'axes') ?? starts.map((_, i) => i)).map((a) => norm(Number(a), x.length));
    const steps = (c.node.input[4] ? c.value(4) : undefined)?.map(Number) ?? axes.map(() => 1);
    const out = [...x];
    axes.forEach((a, k) => (out[a] = sliceDim(x[a], starts[k], ends[k], steps[k])));
    return [out];
  },
  Gather(c) {
    const [x, idx] = [c.shape(0), c.shape(1)];
    if (!x || !idx) return undefined;
    const axis = norm(attrInt(c.node, 'axis', 0), x.length);
    return [[...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]];
  },
  Unsqueeze(c) {
    const x = c.shape(0);
    const axes = intsFrom(c, 1, 'axes');
    if (!x || !axes) return undefined;
    const rank = x.length + axes.length;
    const at = axes.map((a) => norm(Number(a), rank));
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : x[k++]);
    return [out];
  },
  Squeeze(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    const axes = intsFrom(c, 1, 'axes')?.map((a) => norm(Number(a), x.length));
    return [x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1))];
  },
  ReduceMean: (c) => reduce(c, c.opset >= 18),
  ReduceSum: (c) => reduce(c, c.opset >= 13),
  ReduceMax: (c) => reduce(c, c.opset >= 18),
  Shape(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    const start = norm(attrInt(c.node, 'start', 0), x.length);
    const end = attr(c.node, 'end') ? norm(attrInt(c.node, 'end', 0), x.length) : x.length;
    return [[Math.max(0, Math.min(end, x.length) - start)]];
  },
  ConstantOfShape: (c) => [c.value(0)],
  // the output_shape input where it is there (a gradient's Shape of the pool's input); the default
  // size is not the input's where the pool dropped an odd last row
  MaxUnpool: (c) => [c.value(2)],
  Expand(c) {
    const [x, s] = [c.shape(0), c.value(1)];
    return x && s ? [broadcastShapes([x, s])] : undefined;
  },
  ConvTranspose(c) {
    const [x, w] = [c.shape(0), c.shape(1)];
    if (!x || !w) return undefined;
    const n = x.length - 2;
    const kernel = (attrInts(c.node, 'kernel_shape') ?? w.slice(2)).map(Number);
    const strides = attrInts(c.node, 'strides') ?? new Array(n).fill(1);
    const dil = attrInts(c.node, 'dilations') ?? new Array(n).fill(1);
    const pads = attrInts(c.node, 'pads') ?? new Array(2 * n).fill(0);
    const outPad = attrInts(c.node, 'output_padding') ?? new Array(n).fill(0);
    const given = attrInts(c.node, 'output_shape');
    const channels = mulDims([w[1], attrInt(c.node, 'group', 1)]);
    // Spec: stride * (in - 1) + output_padding + ((kernel - 1) * dilation + 1) - pad_begin - pad_end.
    const spatial = x
      .slice(2)
      .map((d, i) =>
        given
          ? given[i]
          : typeof d === 'number'
            ? strides[i] * (d - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + n]
            : '?',
      );
    return [[x[0], channels, ...spatial]];
  },
  Pad(c) {
    const x = c.shape(0);
    const pads = intsFrom(c, 1, 'pads')?.map(Number);
    if (!x || !pads) return undefined;
    const axes =
      (c.node.input[3] ? c.value(3) : undefined)?.map((a) => norm(Number(a), x.length)) ?? x.map((_, i) => i);
    const out = [...x];
    axes.forEach(
      (a, k) => (out[a] = typeof x[a] === 'number' ? (x[a] as number) + pads[k] + pads[k + axes.length] : x[a]),
    );
    return [out];
  },
  Tile(c) {
    const [x, reps] = [c.shape(0), c.value(1)];
    return x && reps ? [x.map((d, i) => mulDims([d, reps[i]]))] : undefined;
  },
  Resize(c) {
    const x = c.shape(0);
    if (!x) return undefined;
    // Inputs: X, roi, scales, sizes (opset 11+); sizes win when given.
    const sizes = c.node.input[3] ? c.value(3) : undefined;
    if (sizes) return [sizes];
    const scales = c.node.input[2] ? c.constant(2) : undefined;
    if (scales?.length === 0) return undefined;
    return scales
      ? [
          x.map((d, i) =>
            typeof d === 'number' ? Math.floor(d * Number(scales[i])) : Number(scales[i]) === 1 ? d : '?',
          ),
        ]
      : undefined;
  },
  BatchNormalization: same,
  LayerNormalization: same,
  Softmax: same,
  Where: broadcast,
};

/** Sum of dims along a concat axis; symbolic terms make the result unknown ('?'). */
function sumDims(dims: Dim[]): Dim {
  return dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a + b, 0) : '?';
}

for (const op of ['AveragePool', 'LpPool']) RULES[op] = RULES.MaxPool;
for (const op of ['GlobalMaxPool', 'GlobalLpPool']) RULES[op] = RULES.GlobalAveragePool;
for (const op of ['ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'])
  RULES[op] = RULES.ReduceMax;
for (const op of opsWith((t) => t.shape === 'same')) RULES[op] ??= same;
for (const op of opsWith((t) => t.shape === 'broadcast')) RULES[op] = broadcast;

/** Output shapes of `c.node`, one per output; undefined entries are unknown. */
export function outputShapes(c: ShapeContext): (Dim[] | undefined)[] {
  return RULES[c.node.op_type]?.(c) ?? [];
}
