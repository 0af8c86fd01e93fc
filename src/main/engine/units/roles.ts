// Roles of linear layers in a vision transformer, recognized from the graph's data flow (no names):
// - attention input projection (q, k, v or fused qkv): its output reaches, through reshapes and
//   transposes only, a MatMul of two activations (the scores q·kᵀ or the product with v);
// - attention output projection: its input comes, the same way, from the MatMul of Softmax and v;
// - MLP fc1: a non-attention linear followed by a nonlinearity and, directly, another linear (fc2).
import type { GraphIndex, NodeProto } from '../onnx/index.js';
import { opsWith } from '../onnx/op-traits.js';
import type { WeightLayer } from './layers.js';

/** Ops that only move or rescale values (head split/merge, q scaling), at most this deep. */
const MOVE = opsWith((t) => t.move === true);
const MAX_DEPTH = 8;

export type Role = 'attention-in' | 'attention-out' | 'mlp-fc1' | 'mlp-fc2';

function isScale(index: GraphIndex, n: NodeProto): boolean {
  return (n.op_type === 'Mul' || n.op_type === 'Div') && n.input.some((i) => index.isConstant(i));
}

/** A MatMul of two activations (attention's q·kᵀ or softmax·v). */
function isActivationMatMul(index: GraphIndex, n: NodeProto): boolean {
  return n.op_type === 'MatMul' && !index.isConstant(n.input[0]) && !index.isConstant(n.input[1]);
}

function reachesForward(index: GraphIndex, tensor: string, hit: (n: NodeProto) => boolean): boolean {
  let frontier = [tensor];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const n of index.consumers(t)) {
        if (hit(n)) return true;
        if (MOVE.has(n.op_type) || isScale(index, n)) next.push(...n.output);
      }
    }
    frontier = next;
  }
  return false;
}

/** The first node before `tensor` that is not a MOVE op (walking the data input). */
export function sourceThroughMoves(index: GraphIndex, tensor: string): NodeProto | undefined {
  let n = index.producer(tensor);
  for (let depth = 0; n && MOVE.has(n.op_type) && depth < MAX_DEPTH; depth++) n = index.producer(n.input[0]);
  return n;
}

function isAttentionOutput(index: GraphIndex, layer: WeightLayer): boolean {
  const src = sourceThroughMoves(index, layer.node.input[0]);
  if (!src || !isActivationMatMul(index, src)) return false;
  return src.input.some((i) => sourceThroughMoves(index, i)?.op_type === 'Softmax');
}

/** The weight layer reading `tensor` directly or through MOVE ops, if any. */
function nextLayer(index: GraphIndex, tensor: string, byNode: Map<NodeProto, WeightLayer>): WeightLayer | undefined {
  let frontier = [tensor];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const n of index.consumers(t)) {
        const l = byNode.get(n);
        if (l && n.input[0] === t) return l;
        if (MOVE.has(n.op_type)) next.push(...n.output);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Roles of the linear (Gemm/MatMul) layers; empty when the graph has no attention. */
export function transformerRoles(index: GraphIndex, layers: readonly WeightLayer[]): Map<WeightLayer, Role> {
  const roles = new Map<WeightLayer, Role>();
  const linear = layers.filter((l) => l.op !== 'Conv');
  for (const l of linear) {
    if (reachesForward(index, l.tensor, (n) => isActivationMatMul(index, n))) roles.set(l, 'attention-in');
    else if (isAttentionOutput(index, l)) roles.set(l, 'attention-out');
  }
  if (roles.size === 0) return roles;
  const byNode = new Map(layers.map((l) => [l.node, l]));
  for (const l of linear) {
    if (roles.has(l) || !l.activated) continue;
    const fc2 = nextLayer(index, l.tensor, byNode);
    if (fc2 && fc2.op !== 'Conv' && !roles.has(fc2)) {
      roles.set(l, 'mlp-fc1');
      roles.set(fc2, 'mlp-fc2');
    }
  }
  return roles;
}
