// The contract of a backward rule: given a forward node and the gradients of its outputs, emit the
// nodes computing the gradients of the inputs that need one.
import { MemLensError } from '../../errors.js';
import type { NodeProto } from '../../onnx/schema.js';
import type { Emitter } from '../emit.js';

/** A tensor dimension as probed on the model: a number, or null where it follows the batch size. */
export type Dim = number | null;

export interface GradContext {
  /** The forward node (a copy in the training graph; a rule may add optional outputs to it). */
  node: NodeProto;
  /** Gradient tensor of each output, undefined where no gradient flows back. */
  gradOut: (string | undefined)[];
  /** Per input: whether its gradient is wanted (it lies on a path from a trainable parameter). */
  needs: boolean[];
  e: Emitter;
  /** Probed shape of any forward tensor. */
  shape(tensor: string): Dim[];
  /** Values of a constant input (initializer or Constant node); undefined when computed at run time. */
  constant(tensor: string): number[] | undefined;
  /** Intra-op threads of the session that runs the graph: onnxruntime splits a Gather over them, not a Slice. */
  threads: number;
}

/** Returns one entry per node input: its gradient tensor, or undefined when not needed. */
export type GradRule = (ctx: GradContext) => (string | undefined)[];

/** The gradient of output 0; rules of single-output ops are only called when it exists. */
export function gradOf(ctx: GradContext, k = 0): string {
  const g = ctx.gradOut[k];
  if (g === undefined) throw new Error(`internal: ${ctx.node.op_type} rule called without an output gradient`);
  return g;
}

export function staticDim(ctx: GradContext, tensor: string, axis: number): number {
  const d = ctx.shape(tensor)[axis];
  if (d === null) {
    const n = ctx.node;
    throw new MemLensError(
      'UNSUPPORTED',
      `no gradient for ${n.op_type} node ${n.name}: axis ${axis} of ${tensor} follows the batch size`,
    );
  }
  return d;
}

/** Negative axes count from the end (ONNX convention). */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
