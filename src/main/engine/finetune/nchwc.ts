// Training graphs on onnxruntime's CPU provider: Convs moved onto its blocked-layout (NCHWc) kernels.
// onnxruntime's optimizer makes that move itself only for Convs whose weights are constants; in a
// training graph the weights are fed every step (and the input-gradient Convs use flipped copies), so
// those Convs stay on im2col + GEMM. On the demo CNN's layer shapes (batch 64, 2 threads) the NCHWc
// kernel took 0.25-0.5x the time, reorders included. The weight reorder becomes part of the graph.
import { attrInt, GraphIndex } from '../onnx/graph-index.js';
import { opsetVersion, setOpset } from '../onnx/opset.js';
import { copyMessage, create, DataType, type AttributeProto, type ModelProto, type NodeProto } from '../onnx/schema.js';
import { inferShapes } from '../onnx/shapes.js';
import { attribute, Emitter } from './emit.js';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

function nchwcNode(e: Emitter, op: string, input: string[], attribute: AttributeProto[], output = [e.fresh(op)]): string {
  e.nodes.push(create('NodeProto', { name: e.fresh(`${op}_node`), op_type: op, domain: NCHWC_DOMAIN, input, output, attribute }));
  return output[0];
}

/** Reorders a [O, I, kh, kw] weight to the kernel's layout: OIHWBiBo, or OIHWBo where I < block. */
function blockedWeight(e: Emitter, w: string, dims: number[], block: number): string {
  const [o, i, kh, kw] = dims;
  const split =
    i < block
      ? e.op('Transpose', [e.reshape(w, [o / block, block, i, kh, kw])], { perm: [0, 2, 3, 4, 1] })
      : e.op('Transpose', [e.reshape(w, [o / block, block, i / block, block, kh, kw])], { perm: [0, 2, 4, 5, 3, 1] });
  return e.reshape(split, dims);
}

/**
 * The model with every eligible Conv replaced by ReorderInput -> nchwc Conv -> ReorderOutput.
 * Eligible (onnxruntime's own rules for the kernel): float 2-D, ungrouped, weights not a constant,
 * output channels a multiple of `block`, input channels a multiple of it or fewer than it.
 * `block` is the kernel's channel block of this CPU (see nchwcBlockSize in runtime.ts).
 */
export function blockedConvs(model: ModelProto, block: number): ModelProto {
  const graph = model.graph!;
  const opset = opsetVersion(model);
  const index = new GraphIndex(graph, opset);
  const shapes = inferShapes(index);
  const e = new Emitter(opset, DataType.FLOAT, 'memlens_nchwc');
  const nodes: NodeProto[] = [];
  let changed = false;
  for (const node of graph.node) {
    const [x, w, b] = node.input;
    const dims = shapes.get(w);
    const eligible =
      node.op_type === 'Conv' &&
      !node.domain &&
      attrInt(node, 'group', 1) === 1 &&
      !index.constantTensor(w) &&
      dims?.length === 4 &&
      dims.every((d): d is number => typeof d === 'number') &&
      dims[0] % block === 0 &&
      (dims[1] % block === 0 || dims[1] < block);
    if (!eligible) {
      nodes.push(node);
      continue;
    }
    changed = true;
    const mark = e.nodes.length;
    // Inputs with fewer channels than a block are read as they are (the OIHWBo weight layout).
    const input = dims[1] < block ? x : nchwcNode(e, 'ReorderInput', [x], []);
    const weight = blockedWeight(e, w, dims, block);
    const attrs = [...node.attribute.filter((a) => a.name !== 'kernel_shape'), attribute('kernel_shape', dims.slice(2))];
    const y = nchwcNode(e, 'Conv', b ? [input, weight, b] : [input, weight], attrs);
    nchwcNode(e, 'ReorderOutput', [y], [attribute('channels', dims[0])], [node.output[0]]);
    nodes.push(...e.nodes.slice(mark));
  }
  if (!changed) return model;
  const rewritten = copyMessage(model, { graph: copyMessage(graph, { node: nodes, initializer: [...graph.initializer, ...e.initializers] }) });
  return setOpset(rewritten, 1, NCHWC_DOMAIN);
}
