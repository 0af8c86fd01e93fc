// ReduceMean, ReduceSum, Softmax, LogSoftmax.
import { MemLensError } from '../../errors.js';
import { attrInt, attrInts } from '../../onnx/graph-index.js';
import { gradOf, normAxis, type GradContext, type GradRule } from './rule.js';

/** The reduced axes, normalized and sorted; an attribute before opset 18 (13 for ReduceSum), an input after. */
function reducedAxes(ctx: GradContext): number[] | undefined {
  const { node } = ctx;
  const rank = ctx.shape(node.input[0]).length;
  const fromInput = node.input[1] ? ctx.constant(node.input[1]) : undefined;
  if (node.input[1] && fromInput === undefined) {
    throw new MemLensError(
      'UNSUPPORTED',
      `no gradient for ${node.op_type} node ${node.name}: its axes are computed at run time`,
    );
  }
  const axes = fromInput ?? attrInts(node, 'axes') ?? [];
  if (axes.length === 0)
    return attrInt(node, 'noop_with_empty_axes', 0) ? undefined : Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
}

/** Spreads the gradient of a reduction back over the reduced axes (divided by their size for a mean). */
function spread(ctx: GradContext, mean: boolean): string {
  const { e, node } = ctx;
  const g = gradOf(ctx);
  const x = node.input[0];
  const axes = reducedAxes(ctx);
  if (!axes) return g;
  const kept = attrInt(node, 'keepdims', 1) ? g : e.unsqueeze(g, axes);
  const spreadOut = e.op('Expand', [kept, e.op('Shape', [x])]);
  if (!mean) return spreadOut;
  const dims = ctx.shape(x);
  if (axes.every((a) => dims[a] !== null)) return e.scale(spreadOut, 1 / axes.reduce((n, a) => n * dims[a]!, 1));
  // A mean over the batch axis (the loss) divides by a count known only at run time: |y| / |x|.
  const size = (t: string) => e.op('Cast', [e.op('Size', [t])], { to: e.floatType });
  return e.op('Mul', [spreadOut, e.op('Div', [size(node.output[0]), size(x)])]);
}

const reduceMean: GradRule = (ctx) => [spread(ctx, true)];
const reduceSum: GradRule = (ctx) => [spread(ctx, false)];

function softmaxAxis(ctx: GradContext): number {
  return normAxis(attrInt(ctx.node, 'axis', -1), ctx.shape(ctx.node.input[0]).length);
}

// y = softmax(x): dx = y (g - sum(g y)).
const softmax: GradRule = (ctx) => {
  const { e } = ctx;
  const g = gradOf(ctx);
  const y = ctx.node.output[0];
  const dot = e.reduceSum(e.op('Mul', [g, y]), [softmaxAxis(ctx)], true);
  return [e.op('Mul', [y, e.op('Sub', [g, dot])])];
};

// y = log softmax(x): dx = g - exp(y) sum(g).
const logSoftmax: GradRule = (ctx) => {
  const { e } = ctx;
  const g = gradOf(ctx);
  const total = e.reduceSum(g, [softmaxAxis(ctx)], true);
  return [e.op('Sub', [g, e.op('Mul', [e.op('Exp', [ctx.node.output[0]]), total])])];
};

export const REDUCE_RULES: Record<string, GradRule> = {
  ReduceMean: reduceMean,
  ReduceSum: reduceSum,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
};
