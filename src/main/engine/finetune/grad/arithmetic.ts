// Add, Sub, Mul, Div (with broadcasting), Neg, Sqrt, Pow with a constant exponent.
import { MemLensError } from '../../errors.js';
import { unbroadcast } from './broadcast.js';
import { gradOf, type GradContext, type GradRule } from './rule.js';

/** Sends `g` (shaped like the output) back to input `i`, undoing broadcasting. */
function toInput(ctx: GradContext, g: string, i: number): string {
  const x = ctx.node.input[i];
  return unbroadcast(ctx.e, g, ctx.shape(ctx.node.output[0]), x, ctx.shape(x));
}

const add: GradRule = (ctx) => {
  const g = gradOf(ctx);
  return [ctx.needs[0] ? toInput(ctx, g, 0) : undefined, ctx.needs[1] ? toInput(ctx, g, 1) : undefined];
};

const sub: GradRule = (ctx) => {
  const g = gradOf(ctx);
  return [
    ctx.needs[0] ? toInput(ctx, g, 0) : undefined,
    ctx.needs[1] ? ctx.e.op('Neg', [toInput(ctx, g, 1)]) : undefined,
  ];
};

const mul: GradRule = (ctx) => {
  const g = gradOf(ctx);
  const [a, b] = ctx.node.input;
  return [
    ctx.needs[0] ? toInput(ctx, ctx.e.op('Mul', [g, b]), 0) : undefined,
    ctx.needs[1] ? toInput(ctx, ctx.e.op('Mul', [g, a]), 1) : undefined,
  ];
};

// y = a / b: da = g / b, db = -g * y / b.
const div: GradRule = (ctx) => {
  const { e } = ctx;
  const g = gradOf(ctx);
  const [, b] = ctx.node.input;
  const ga = ctx.needs[0] || ctx.needs[1] ? e.op('Div', [g, b]) : undefined;
  return [
    ctx.needs[0] ? toInput(ctx, ga!, 0) : undefined,
    ctx.needs[1] ? toInput(ctx, e.op('Neg', [e.op('Mul', [ga!, ctx.node.output[0]])]), 1) : undefined,
  ];
};

const neg: GradRule = (ctx) => [ctx.e.op('Neg', [gradOf(ctx)])];

// y = sqrt(x): dx = g / (2 y).
const sqrt: GradRule = (ctx) => [ctx.e.op('Div', [gradOf(ctx), ctx.e.scale(ctx.node.output[0], 2)])];

// y = x^p with a constant p (LayerNorm decompositions use p = 2): dx = g p x^(p-1).
const pow: GradRule = (ctx) => {
  const { e, node } = ctx;
  const p = ctx.constant(node.input[1]);
  if (ctx.needs[1] || p === undefined || p.length !== 1) {
    throw new MemLensError(
      'UNSUPPORTED',
      `Pow node ${node.name}: only a constant scalar exponent is differentiable here`,
    );
  }
  const dydx = e.scale(e.op('Pow', [node.input[0], e.scalar(p[0] - 1)]), p[0]);
  return [e.op('Mul', [gradOf(ctx), dydx]), undefined];
};

export const ARITHMETIC_RULES: Record<string, GradRule> = {
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Neg: neg,
  Sqrt: sqrt,
  Pow: pow,
};
