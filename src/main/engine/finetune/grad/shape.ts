// Ops that only move elements: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat, Split,
// Slice, Gather on constant indices, Expand. Their gradients move the elements back.
import { MemLensError } from '../../errors.js';
import { attrInt, attrInts } from '../../onnx/graph-index.js';
import type { Emitter } from '../emit.js';
import { unbroadcast } from './broadcast.js';
import { gradOf, staticDim, type GradContext, normAxis, type GradRule } from './rule.js';

const reshapeBack: GradRule = (ctx) => [ctx.e.reshapeLike(gradOf(ctx), ctx.node.input[0])];

const transpose: GradRule = (ctx) => {
  const rank = ctx.shape(ctx.node.input[0]).length;
  const perm = attrInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.e.transpose(gradOf(ctx), inverse)];
};

function axisOf(ctx: GradContext, tensor: string): number {
  return normAxis(attrInt(ctx.node, 'axis', 0), ctx.shape(tensor).length);
}

const concat: GradRule = (ctx) => {
  const { node } = ctx;
  const axis = axisOf(ctx, node.output[0]);
  const parts = ctx.e.split(
    gradOf(ctx),
    axis,
    node.input.map((x) => staticDim(ctx, x, axis)),
  );
  return parts.map((p, i) => (ctx.needs[i] ? p : undefined));
};

// Outputs nobody differentiates get zeros so the pieces still concatenate to X's shape.
const split: GradRule = (ctx) => {
  const { e, node } = ctx;
  const pieces = node.output.map((y, k) => ctx.gradOut[k] ?? e.zerosLike(y));
  return [e.op('Concat', pieces, { axis: axisOf(ctx, node.input[0]) })];
};

/**
 * The adjoint of selecting `indices` along `axis` of a tensor whose size there is `size`: scatter
 * `g` rows back to those positions of a zero tensor (adding where an index repeats).
 */
function scatterAlong(
  e: Emitter,
  g: string,
  rank: number,
  axis: number,
  indices: number[],
  size: number,
  add: boolean,
): string {
  const front = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
  const back = new Array<number>(rank);
  front.forEach((p, i) => (back[p] = i));
  const rows = e.transpose(g, front);
  const rest = e.op('Slice', [e.op('Shape', [rows]), e.ints([1]), e.ints([rank])]);
  const zeros = e.op('ConstantOfShape', [e.op('Concat', [e.ints([size]), rest], { axis: 0 })], {
    value: e.zerosValue(),
  });
  const where = e.ints(indices, [indices.length, 1]);
  const scattered = e.op('ScatterND', [zeros, where, rows], add ? { reduction: 'add' } : {});
  return e.transpose(scattered, back);
}

function constantInput(ctx: GradContext, i: number): number[] | undefined {
  const name = ctx.node.input[i];
  if (!name) return undefined;
  const v = ctx.constant(name);
  if (v === undefined) {
    throw new MemLensError(
      'UNSUPPORTED',
      `no gradient for ${ctx.node.op_type} node ${ctx.node.name}: input ${name} is computed at run time`,
    );
  }
  return v;
}

/** Element indices a Slice keeps along one axis, per the ONNX clamping rules. */
function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number) => (v < 0 ? v + size : v);
  const out: number[] = [];
  if (step > 0) for (let i = clamp(norm(start), 0, size), e = clamp(norm(end), 0, size); i < e; i += step) out.push(i);
  else for (let i = clamp(norm(start), -1, size - 1), e = clamp(norm(end), -1, size - 1); i > e; i += step) out.push(i);
  return out;
}

const slice: GradRule = (ctx) => {
  const x = ctx.node.input[0];
  const rank = ctx.shape(x).length;
  const starts = constantInput(ctx, 1)!;
  const ends = constantInput(ctx, 2)!;
  const axes = constantInput(ctx, 3) ?? starts.map((_, i) => i);
  const steps = constantInput(ctx, 4) ?? starts.map(() => 1);
  let g = gradOf(ctx);
  axes.forEach((a, i) => {
    const axis = normAxis(a, rank);
    const size = staticDim(ctx, x, axis);
    g = scatterAlong(ctx.e, g, rank, axis, sliceIndices(size, starts[i], ends[i], steps[i]), size, false);
  });
  return [g];
};

const gather: GradRule = (ctx) => {
  const { e, node } = ctx;
  const x = node.input[0];
  const shape = ctx.shape(x);
  const axis = normAxis(attrInt(node, 'axis', 0), shape.length);
  const size = staticDim(ctx, x, axis);
  const indices = constantInput(ctx, 1)!.map((i) => (i < 0 ? i + size : i));
  // dY has the index tensor's axes in place of `axis`; fold them into one axis of length k.
  const rest = shape.slice(axis + 1).map((d) => d ?? -1);
  const rows = e.reshape(gradOf(ctx), [...new Array<number>(axis).fill(0), indices.length, ...rest]);
  return [scatterAlong(e, rows, shape.length, axis, indices, size, true), undefined];
};

// Expand broadcasts: the gradient sums back over the stretched axes (e.g. a class token expanded over the batch).
const expand: GradRule = (ctx) => {
  const x = ctx.node.input[0];
  return [unbroadcast(ctx.e, gradOf(ctx), ctx.shape(ctx.node.output[0]), x, ctx.shape(x)), undefined];
};

export const SHAPE_RULES: Record<string, GradRule> = {
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Expand: expand,
};
