// Reverse-mode differentiation of an ONNX node list into more ONNX nodes. Nodes are visited in
// reverse topological order; a tensor's gradient is complete once its producer is reached (all
// consumers come later in forward order), and contributions from several consumers are summed.
// Only tensors on a path from a trainable tensor to a seed get gradients.
import { MemLensError } from '../errors.js';
import type { NodeProto } from '../onnx/schema.js';
import type { Emitter } from './emit.js';
import { reluMask } from './grad/activation.js';
import { GRAD_RULES, NON_DIFFERENTIABLE, type Dim } from './grad/index.js';
import { reluBeforePool } from './grad/relu-pool.js';

export interface BackwardRequest {
  /** Forward nodes in topological order; rules may add optional outputs to them (MaxPool indices). */
  nodes: NodeProto[];
  /** Tensor -> the tensor holding d loss / d tensor (for the loss itself: a constant one). */
  seeds: Map<string, string>;
  /** The tensors to differentiate with respect to (trainable parameters). */
  wrt: string[];
  e: Emitter;
  shape(tensor: string): Dim[];
  constant(tensor: string): number[] | undefined;
  /** Intra-op threads of the session that runs the graph (GradContext.threads). */
  threads: number;
}

/** For each tensor depending on a `wrt` tensor: the first such parameter (named in errors). */
function dependents(nodes: NodeProto[], wrt: string[]): Map<string, string> {
  const from = new Map(wrt.map((p) => [p, p]));
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op_type)) continue;
    const src = n.input.map((i) => from.get(i)).find((p) => p !== undefined);
    if (src !== undefined) for (const o of n.output) if (o) from.set(o, src);
  }
  return from;
}

/** Tensors from which some seed is reachable through differentiable nodes. */
function reachingSeeds(nodes: NodeProto[], seeds: Map<string, string>): Set<string> {
  const reach = new Set(seeds.keys());
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (NON_DIFFERENTIABLE.has(n.op_type)) continue;
    if (n.output.some((o) => reach.has(o))) for (const i of n.input) if (i) reach.add(i);
  }
  return reach;
}

/** Emits the backward nodes into `req.e` and returns, per `wrt` tensor, its gradient tensor. */
export function buildBackward(req: BackwardRequest): Map<string, string> {
  const { nodes, e } = req;
  const source = dependents(nodes, req.wrt);
  const reach = reachingSeeds(nodes, req.seeds);
  const active = (t: string) => t !== '' && source.has(t) && reach.has(t);
  const pending = new Map<string, string[]>();
  const add = (t: string, g: string) => pending.set(t, [...(pending.get(t) ?? []), g]);
  const total = (t: string): string | undefined => {
    const parts = pending.get(t);
    return parts && e.sum(parts);
  };
  for (const [t, g] of req.seeds) add(t, g);
  // MaxPools whose input Relu's mask goes on their output gradient (grad/relu-pool.ts); the Relu then
  // receives no gradient of its own and is passed through.
  const reluOf = reluBeforePool(nodes);
  for (const [pool, relu] of reluOf) if (req.seeds.has(relu.output[0])) reluOf.delete(pool);

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const needs = node.input.map(active);
    if (!needs.some(Boolean) || NON_DIFFERENTIABLE.has(node.op_type)) continue;
    const relu = reluOf.get(node);
    const gradOut = node.output.map((o, i) => {
      const g = o ? total(o) : undefined;
      return relu && i === 0 && g !== undefined ? reluMask(e, g, o) : g;
    });
    if (gradOut.every((g) => g === undefined)) continue;
    const rule = node.domain ? undefined : GRAD_RULES[node.op_type];
    if (!rule) {
      const param = source.get(node.input.find(active)!);
      const op = node.domain ? `${node.domain}.${node.op_type}` : node.op_type;
      throw new MemLensError(
        'UNSUPPORTED',
        `no gradient rule for op ${op} (node ${node.name || node.output[0]}) on the path from trainable parameter ${param} to the loss`,
      );
    }
    const grads = rule({ node, gradOut, needs, e, shape: req.shape, constant: req.constant, threads: req.threads });
    node.input.forEach((t, i) => {
      if (needs[i] && grads[i] !== undefined) add(relu ? relu.input[0] : t, grads[i]!);
    });
  }

  const out = new Map<string, string>();
  for (const p of req.wrt) {
    const g = total(p);
    if (g === undefined) throw new MemLensError('BAD_INPUT', `trainable parameter ${p} does not affect the loss`);
    out.set(p, g);
  }
  return out;
}
