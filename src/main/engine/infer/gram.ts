// Per-sample Gram taps for LayerMem: for a layer output of N = samples x V images, the graph also
// returns gram[s] = R_s R_s^T with R_s the [V, D] flattened outputs of sample s's views. V*V floats
// per sample leave onnxruntime instead of V*D, and the distances follow from them exactly
// (metrics/layermem.ts), so memory does not grow with the layer size or the number of samples.
import { AttributeType, create, DataType, editGraph, int64Tensor, node, type ModelProto } from '../onnx/index.js';

export interface GramTap {
  tensor: string;
  /** Elements per image of `tensor` (product of its non-batch dims). */
  features: number;
}

/**
 * A copy of `proto` with one output per tap, named in the returned list, shaped [N / views, views,
 * views]. The batch must hold whole samples, views contiguous (infer/batches.ts does).
 */
export function addGramOutputs(proto: ModelProto, taps: GramTap[], views: number): { proto: ModelProto; outputs: string[] } {
  const outputs = taps.map((_, i) => `memlens_gram_${i}`);
  const edited = editGraph(proto, (d) => {
    taps.forEach((tap, i) => {
      const p = outputs[i];
      d.initializer.push(int64Tensor(`${p}/shape`, [3], [-1, views, tap.features]));
      const transpose = node('Transpose', [`${p}/rows`], [`${p}/cols`], `${p}/transpose`);
      transpose.attribute.push(create('AttributeProto', { name: 'perm', type: AttributeType.INTS, ints: [0, 2, 1] }));
      d.node.push(
        node('Reshape', [tap.tensor, `${p}/shape`], [`${p}/rows`], `${p}/reshape`),
        transpose,
        node('MatMul', [`${p}/rows`, `${p}/cols`], [p], `${p}/matmul`),
      );
      d.output.push(create('ValueInfoProto', { name: p, type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT } }) }));
    });
  });
  return { proto: edited, outputs };
}
