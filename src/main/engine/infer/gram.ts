// Per-sample Gram taps for LayerMem: for a layer output of N = samples x V images, the graph also
// returns gram[s] = R_s R_s^T with R_s the [V, D] flattened outputs of sample s's views. V*V floats
// per sample leave onnxruntime instead of V*D, and the distances follow from them exactly
// (metrics/layermem.ts), so memory does not grow with the layer size or the number of samples.
import {
  AttributeType,
  create,
  DataType,
  editGraph,
  int64Tensor,
  node,
  type ModelProto,
  type NodeProto,
} from '../onnx/index.js';

export interface GramTap {
  tensor: string;
  /** Elements per image of `tensor` (product of its non-batch dims). */
  features: number;
  /** Where the batch is: 0, or 1 for [T, B, C] tensors (inside torch's nn.MultiheadAttention). */
  batchAxis: 0 | 1;
  /** Rank of `tensor` (for the transpose that brings the batch first). */
  rank: number;
}

function transpose(input: string, output: string, perm: number[]): NodeProto {
  const t = node('Transpose', [input], [output], output);
  t.attribute.push(create('AttributeProto', { name: 'perm', type: AttributeType.INTS, ints: perm }));
  return t;
}

/**
 * A copy of `proto` with one output per tap, named in the returned list, shaped [N / views, views,
 * views]. The batch must hold whole samples, views contiguous (infer/batches.ts does).
 */
export function addGramOutputs(
  proto: ModelProto,
  taps: GramTap[],
  views: number,
): { proto: ModelProto; outputs: string[] } {
  const outputs = taps.map((_, i) => `memlens_gram_${i}`);
  const edited = editGraph(proto, (d) => {
    taps.forEach((tap, i) => {
      const p = outputs[i];
      let source = tap.tensor;
      if (tap.batchAxis === 1) {
        const perm = [1, 0, ...Array.from({ length: tap.rank - 2 }, (_, k) => k + 2)];
        d.node.push(transpose(tap.tensor, `${p}/batch_first`, perm));
        source = `${p}/batch_first`;
      }
      d.initializer.push(int64Tensor(`${p}/shape`, [3], [-1, views, tap.features]));
      d.node.push(
        node('Reshape', [source, `${p}/shape`], [`${p}/rows`], `${p}/reshape`),
        transpose(`${p}/rows`, `${p}/cols`, [0, 2, 1]),
        node('MatMul', [`${p}/rows`, `${p}/cols`], [p], `${p}/matmul`),
      );
      d.output.push(
        create('ValueInfoProto', {
          name: p,
          type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT } }),
        }),
      );
    });
  });
  return { proto: edited, outputs };
}
