// onnxruntime's blocked-layout (NCHWc) operators as the CPU rewrites of the training graph emit and
// recognise them (nchwc.ts moves the Convs there, nchwc-passes.ts takes layout changes out again).
import { attrInt } from '../onnx/graph-index.js';
import { create, type AttributeProto, type NodeProto } from '../onnx/schema.js';
import type { Emitter } from './emit.js';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** A node of the blocked domain, named by `e`. */
export function nchwcProto(
  e: Emitter,
  op: string,
  input: string[],
  attribute: AttributeProto[],
  output = [e.fresh(op)],
): NodeProto {
  return create('NodeProto', {
    name: e.fresh(`${op}_node`),
    op_type: op,
    domain: NCHWC_DOMAIN,
    input,
    output,
    attribute,
  });
}

/** Appends a node of the blocked domain to `e` and returns its (first) output. */
export function nchwcNode(
  e: Emitter,
  op: string,
  input: string[],
  attribute: AttributeProto[],
  output?: string[],
): string {
  const node = nchwcProto(e, op, input, attribute, output);
  e.nodes.push(node);
  return node.output[0];
}

/** A ReorderInput or ReorderOutput (`op`) between the blocked and the plain NCHW layout. */
export const isReorder = (n: NodeProto | undefined, op: string): n is NodeProto =>
  n?.domain === NCHWC_DOMAIN && n.op_type === op && !attrInt(n, 'channels_last', 0);
