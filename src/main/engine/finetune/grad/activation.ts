// Pointwise activations: Relu, LeakyRelu, Sigmoid, Tanh, Erf, Gelu (opset 20), Exp, Identity.
import { attrFloat, attrString } from '../../onnx/graph-index.js';
import type { Emitter } from '../emit.js';
import { gradOf, type GradRule } from './rule.js';

/**
 * `g` masked by `x` > 0. A Mul by the mask cast to float: onnxruntime's Where with a scalar branch
 * took 1.4-1.8x as long on the demo CNN's activations.
 */
export function reluMask(e: Emitter, g: string, x: string): string {
  const positive = e.op('Greater', [x, e.scalar(0)]);
  return e.op('Mul', [g, e.op('Cast', [positive], { to: e.floatType })]);
}

const relu: GradRule = (ctx) => [reluMask(ctx.e, gradOf(ctx), ctx.node.input[0])];

const leakyRelu: GradRule = (ctx) => {
  const { e } = ctx;
  const g = gradOf(ctx);
  const positive = e.op('Greater', [ctx.node.input[0], e.scalar(0)]);
  return [e.op('Where', [positive, g, e.scale(g, attrFloat(ctx.node, 'alpha', 0.01))])];
};

// y = sigmoid(x): dx = g y (1 - y).
const sigmoid: GradRule = (ctx) => {
  const { e } = ctx;
  const y = ctx.node.output[0];
  return [e.op('Mul', [gradOf(ctx), e.op('Mul', [y, e.op('Sub', [e.scalar(1), y])])])];
};

// y = tanh(x): dx = g (1 - y^2).
const tanh: GradRule = (ctx) => {
  const { e } = ctx;
  const y = ctx.node.output[0];
  return [e.op('Mul', [gradOf(ctx), e.op('Sub', [e.scalar(1), e.op('Mul', [y, y])])])];
};

/** exp(-x^2 / 2) * k, the Gaussian kernel shape both erf' and Gelu' use. */
function gaussian(ctx: Parameters<GradRule>[0], x: string, k: number, halve: boolean): string {
  const { e } = ctx;
  const sq = e.op('Mul', [x, x]);
  return e.scale(e.op('Exp', [e.op('Neg', [halve ? e.scale(sq, 0.5) : sq])]), k);
}

// d erf(x)/dx = 2/sqrt(pi) exp(-x^2).
const erf: GradRule = (ctx) => [
  ctx.e.op('Mul', [gradOf(ctx), gaussian(ctx, ctx.node.input[0], 2 / Math.sqrt(Math.PI), false)]),
];

// Gelu (opset 20). 'none': x Phi(x), derivative Phi(x) + x phi(x).
// 'tanh': 0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3), derivative 0.5 (1 + t) + 0.5 x (1 - t^2) u'.
const gelu: GradRule = (ctx) => {
  const { e } = ctx;
  const x = ctx.node.input[0];
  let d: string;
  if (attrString(ctx.node, 'approximate', 'none') === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    const x2 = e.op('Mul', [x, x]);
    const u = e.scale(e.op('Mul', [x, e.op('Add', [e.scalar(1), e.scale(x2, 0.044715)])]), c);
    const t = e.op('Tanh', [u]);
    const du = e.scale(e.op('Add', [e.scalar(1), e.scale(x2, 3 * 0.044715)]), c);
    const first = e.scale(e.op('Add', [e.scalar(1), t]), 0.5);
    const sech2 = e.op('Sub', [e.scalar(1), e.op('Mul', [t, t])]);
    d = e.op('Add', [first, e.op('Mul', [e.scale(x, 0.5), e.op('Mul', [sech2, du])])]);
  } else {
    // Phi(x) = y / x is unsafe at 0, so Phi comes from erf.
    const phi = e.scale(e.op('Add', [e.scalar(1), e.op('Erf', [e.scale(x, Math.SQRT1_2)])]), 0.5);
    d = e.op('Add', [phi, e.op('Mul', [x, gaussian(ctx, x, 1 / Math.sqrt(2 * Math.PI), true)])]);
  }
  return [e.op('Mul', [gradOf(ctx), d])];
};

const exp: GradRule = (ctx) => [ctx.e.op('Mul', [gradOf(ctx), ctx.node.output[0]])];

const identity: GradRule = (ctx) => [gradOf(ctx)];

export const ACTIVATION_RULES: Record<string, GradRule> = {
  Relu: relu,
  LeakyRelu: leakyRelu,
  Sigmoid: sigmoid,
  Tanh: tanh,
  Erf: erf,
  Gelu: gelu,
  Exp: exp,
  Identity: identity,
  // Inference-form Dropout is the identity (the mask output is never differentiated).
  Dropout: identity,
};
