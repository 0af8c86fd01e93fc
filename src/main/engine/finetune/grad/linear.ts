// Gemm (transA/transB, alpha, beta) and MatMul (batched, numpy broadcasting over leading axes).
import { MemLensError } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/graph-index.js';
import { unbroadcast } from './broadcast.js';
import { gradOf, type Dim, type GradRule } from './rule.js';

// Y = alpha A' B' + beta C with A' = transA ? A^T : A, B' likewise.
// dA' = alpha dY B'^T and dB' = alpha A'^T dY; transposing back folds into the Gemm flags.
const gemm: GradRule = (ctx) => {
  const { e, node } = ctx;
  const g = gradOf(ctx);
  const [a, b, c] = node.input;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const ta = attrInt(node, 'transA', 0);
  const tb = attrInt(node, 'transB', 0);
  const f = { float: alpha };
  const ga = !ctx.needs[0]
    ? undefined
    : ta
      ? e.op('Gemm', [b, g], { alpha: f, transA: tb, transB: 1 })
      : e.op('Gemm', [g, b], { alpha: f, transB: tb ? 0 : 1 });
  const gb = !ctx.needs[1]
    ? undefined
    : tb
      ? e.op('Gemm', [g, a], { alpha: f, transA: 1, transB: ta })
      : e.op('Gemm', [a, g], { alpha: f, transA: ta ? 0 : 1 });
  const gc = ctx.needs[2] ? e.scale(unbroadcast(e, g, ctx.shape(node.output[0]), c, ctx.shape(c)), beta) : undefined;
  return [ga, gb, gc];
};

function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

// Y = A B over the last two axes: dA = dY B^T and dB = A^T dY, each summed over the batch axes
// its input was broadcast along.
const matmul: GradRule = (ctx) => {
  const { e, node } = ctx;
  const g = gradOf(ctx);
  const [a, b] = node.input;
  const sa = ctx.shape(a);
  const sb = ctx.shape(b);
  if (sa.length < 2 || sb.length < 2) {
    throw new MemLensError('UNSUPPORTED', `no gradient for MatMul node ${node.name} with a 1-D operand`);
  }
  const batch = ctx.shape(node.output[0]).slice(0, -2);
  const full = (m: Dim, n: Dim): Dim[] => [...batch, m, n];
  const ga = ctx.needs[0]
    ? unbroadcast(e, e.op('MatMul', [g, e.transpose(b, swapLast(sb.length))]), full(sa.at(-2)!, sa.at(-1)!), a, sa)
    : undefined;
  const gb = ctx.needs[1]
    ? unbroadcast(e, e.op('MatMul', [e.transpose(a, swapLast(sa.length)), g]), full(sb.at(-2)!, sb.at(-1)!), b, sb)
    : undefined;
  return [ga, gb];
};

export const LINEAR_RULES: Record<string, GradRule> = { Gemm: gemm, MatMul: matmul };
