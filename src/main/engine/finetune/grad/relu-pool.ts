// A Relu that only a MaxPool reads (Conv -> Relu -> MaxPool in most CNNs) gets its gradient mask on
// the pooled gradient, before the pool's rule routes it back, instead of on the full-resolution one
// after: a quarter of the elements behind a 2x2 pool, and the Relu itself is then passed through.
// The forward is left as it is: onnxruntime's MaxPool with indices ran slower on the unrectified
// Conv output than on the Relu's (docs/FINETUNE.md).
//
// Exact: the pool's rule puts each window's gradient on the window's argmax i (MaxUnpool, or a
// scatter that adds where windows overlap), where the Relu's output r_i is the pooled value p. The
// Relu's mask there is x_i > 0, which is r_i > 0, which is p > 0: masking each window's gradient by
// p > 0 before the routing changes no element's sum. A window whose inputs are all <= 0 gives no
// gradient either way.
import type { NodeProto } from '../../onnx/schema.js';
import { readersOf } from '../rewrite.js';

/** MaxPool node -> the Relu node whose output only that MaxPool reads. */
export function reluBeforePool(nodes: NodeProto[]): Map<NodeProto, NodeProto> {
  const readers = readersOf(nodes);
  const pairs = new Map<NodeProto, NodeProto>();
  for (const relu of nodes) {
    if (relu.op_type !== 'Relu' || relu.domain) continue;
    const [pool, ...others] = readers.get(relu.output[0]) ?? [];
    if (pool && others.length === 0 && pool.op_type === 'MaxPool' && !pool.domain) pairs.set(pool, relu);
  }
  return pairs;
}
