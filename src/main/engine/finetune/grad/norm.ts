// BatchNormalization (inference form: running statistics are constants) and LayerNormalization.
import { MemLensError } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/graph-index.js';
import { unbroadcast } from './broadcast.js';
import { gradOf, normAxis, type GradRule } from './rule.js';

// y = scale (x - mean) / sqrt(var + eps) + b, per channel (axis 1).
const batchNorm: GradRule = (ctx) => {
  const { e, node } = ctx;
  const [x, scale, , mean, variance] = node.input;
  if (attrInt(node, 'training_mode', 0) !== 0 || ctx.needs[3] || ctx.needs[4]) {
    throw new MemLensError(
      'UNSUPPORTED',
      `no gradient for BatchNormalization node ${node.name} in training mode (only the inference form)`,
    );
  }
  const g = gradOf(ctx);
  const rank = ctx.shape(x).length;
  const others = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const perChannel = (t: string) => e.reshape(t, [1, -1, ...new Array<number>(rank - 2).fill(1)]);
  const invStd = e.op('Reciprocal', [
    e.op('Sqrt', [e.op('Add', [variance, e.scalar(attrFloat(node, 'epsilon', 1e-5))])]),
  ]);
  const gx = ctx.needs[0] ? e.op('Mul', [g, perChannel(e.op('Mul', [scale, invStd]))]) : undefined;
  const xhat = () => e.op('Mul', [e.op('Sub', [x, perChannel(mean)]), perChannel(invStd)]);
  const gScale = ctx.needs[1] ? e.reduceSum(e.op('Mul', [g, xhat()]), others, false) : undefined;
  const gBias = ctx.needs[2] ? e.reduceSum(g, others, false) : undefined;
  return [gx, gScale, gBias, undefined, undefined];
};

// y = xhat scale + b, xhat = (x - mu) / sigma over axes [axis, rank):
// dx = (gx - mean(gx) - xhat mean(gx xhat)) / sigma with gx = g scale.
const layerNorm: GradRule = (ctx) => {
  const { e, node } = ctx;
  const [x, scale, bias] = node.input;
  const g = gradOf(ctx);
  const xShape = ctx.shape(x);
  const rank = xShape.length;
  const axes = Array.from(
    { length: rank - normAxis(attrInt(node, 'axis', -1), rank) },
    (_, i) => rank - 1 - i,
  ).reverse();
  const mean = (t: string) => e.reduce('ReduceMean', t, axes, true);
  const centered = e.op('Sub', [x, mean(x)]);
  const variance = mean(e.op('Mul', [centered, centered]));
  const invStd = e.op('Reciprocal', [
    e.op('Sqrt', [e.op('Add', [variance, e.scalar(attrFloat(node, 'epsilon', 1e-5))])]),
  ]);
  const xhat = e.op('Mul', [centered, invStd]);
  let gx: string | undefined;
  if (ctx.needs[0]) {
    const gh = e.op('Mul', [g, scale]);
    const inner = e.op('Sub', [e.op('Sub', [gh, mean(gh)]), e.op('Mul', [xhat, mean(e.op('Mul', [gh, xhat]))])]);
    gx = e.op('Mul', [inner, invStd]);
  }
  const gScale = ctx.needs[1] ? unbroadcast(e, e.op('Mul', [g, xhat]), xShape, scale, ctx.shape(scale)) : undefined;
  const gBias = ctx.needs[2] ? unbroadcast(e, g, xShape, bias, ctx.shape(bias)) : undefined;
  return [gx, gScale, gBias];
};

export const NORM_RULES: Record<string, GradRule> = { BatchNormalization: batchNorm, LayerNormalization: layerNorm };
