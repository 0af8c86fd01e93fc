// Passes over a training graph whose Convs nchwc.ts has moved onto onnxruntime's blocked layout,
// each wrapped in ReorderInput and ReorderOutput: they take layout changes out again where a Relu,
// a 2x2 MaxPool or element-wise ops can run on the blocked tensors (docs/FINETUNE.md, "The kernels
// behind a Conv layer").
import { sameDims } from '../onnx/dims.js';
import { attr, attrInt, attrInts, attrString, sameShape, type GraphIndex } from '../onnx/graph-index.js';
import { copyMessage, DataType, type NodeProto } from '../onnx/schema.js';
import { attribute, type Emitter } from './emit.js';
import { isReorder, NCHWC_DOMAIN, nchwcNode, nchwcProto } from './nchwc-ops.js';
import { producersOf, readersOf } from './rewrite.js';

/**
 * `nodes` with the layout changes the passes below can take out gone: `isZero` tells a constant
 * zero (a Relu mask's threshold), `outputs` are the graph's outputs, `block` the channel block.
 */
export function withFewerReorders(
  nodes: NodeProto[],
  index: GraphIndex,
  e: Emitter,
  block: number,
  isZero: (name: string) => boolean,
  outputs: Set<string>,
): NodeProto[] {
  const relu = withReluInConv(nodes, isZero, outputs);
  const pooled = withBlockedPools(relu, index, e, block);
  return withoutReorderPairs(withBlockedElementwise(pooled, index, e), outputs);
}

/**
 * A Relu behind a blocked Conv goes into the Conv (its `activation`, applied as the kernel writes
 * its output), where the Conv's plain output reaches nothing but that Relu and gradient masks
 * `Greater(x, 0)`, which then read the Relu's output (x > 0 exactly where relu(x) > 0). On the demo
 * CNN that takes its 8 Relus off the step (0.35 ms of 55 at batch 32, one thread), and leaves the
 * blocked output a ReorderInput can take directly (below).
 */
function withReluInConv(nodes: NodeProto[], isZero: (name: string) => boolean, outputs: Set<string>): NodeProto[] {
  const readers = readersOf(nodes);
  const changed = new Map<NodeProto, NodeProto | undefined>();
  for (const conv of nodes) {
    if (conv.domain !== NCHWC_DOMAIN || conv.op_type !== 'Conv' || attr(conv, 'activation')) continue;
    const [reorder, ...others] = readers.get(conv.output[0]) ?? [];
    if (others.length > 0 || !isReorder(reorder, 'ReorderOutput') || outputs.has(reorder.output[0])) continue;
    const plain = reorder.output[0];
    const after = readers.get(plain) ?? [];
    const relus = after.filter((n) => n.op_type === 'Relu' && !n.domain);
    const masks = after.filter(
      (n) => n.op_type === 'Greater' && !n.domain && n.input[0] === plain && n.input[1] !== plain && isZero(n.input[1]),
    );
    if (relus.length !== 1 || masks.length + 1 !== after.length) continue;
    const y = relus[0].output[0];
    changed.set(conv, copyMessage(conv, { attribute: [...conv.attribute, attribute('activation', 'Relu')] }));
    changed.set(reorder, copyMessage(reorder, { output: [y] }));
    changed.set(relus[0], undefined);
    for (const m of masks) changed.set(m, copyMessage(m, { input: [y, m.input[1]] }));
  }
  return nodes.flatMap((n) => (changed.has(n) ? (changed.get(n) ?? []) : [n]));
}

/** A 2x2 MaxPool of stride 2, unpadded, with its Indices output, as the usual CNN downsampling. */
function isHalvingPool(n: NodeProto): boolean {
  return (
    n.op_type === 'MaxPool' &&
    !n.domain &&
    Boolean(n.output[1]) &&
    sameDims(attrInts(n, 'kernel_shape'), [2, 2]) &&
    sameDims(attrInts(n, 'strides'), [2, 2]) &&
    (attrInts(n, 'pads') ?? [0]).every((p) => p === 0) &&
    (attrInts(n, 'dilations') ?? [1]).every((d) => d === 1) &&
    ['NOTSET', 'VALID'].includes(attrString(n, 'auto_pad', 'NOTSET')) &&
    attrInt(n, 'ceil_mode', 0) === 0 &&
    attrInt(n, 'storage_order', 0) === 0
  );
}

/** Window offsets and firsts are float32 before their cast: exact below 2^24 elements a sample. */
const EXACT_FLOATS = 2 ** 24;

/**
 * A halving MaxPool (above) of a blocked Conv's output, on the blocked tensor: onnxruntime's
 * MaxPool with indices is a branching loop over the plain layout (2.5-5 ms on the demo CNN's
 * 32x32x28x28 at batch 32, the more the more ties) behind a ReorderOutput of the whole input. Here
 * the blocked pool kernels give each row pair's maximum m (1x2) and the window's P (2x1 of m), and
 * two comparisons where each window's first maximum (row-major, the element onnxruntime and PyTorch
 * pick on ties) lies: right = m > left element of the pair, bottom = P > top row's m. Its offset in
 * the window is bottom ? W + right(bottom row) : right(top row); reordered to the plain layout and
 * added to the window's first element (sample, channel, 2 x row, 2 x column) it is the flat index
 * MaxPool's Indices output holds, which the gradient (grad/pool.ts) hands MaxUnpool.
 * Shapes read the blocked input (the same dims), so the plain copy goes where nothing else reads it.
 */
function withBlockedPools(nodes: NodeProto[], index: GraphIndex, e: Emitter, block: number): NodeProto[] {
  const producers = producersOf(nodes);
  const blockedOf = new Map<string, string>();
  const result: NodeProto[] = [];
  for (const n of nodes) {
    const reorder = producers.get(n.input[0]);
    const [, c, h, w] = index.shape(n.input[0]) ?? [];
    const eligible =
      isHalvingPool(n) &&
      isReorder(reorder, 'ReorderOutput') &&
      typeof c === 'number' &&
      typeof h === 'number' &&
      typeof w === 'number' &&
      c % block === 0 &&
      h >= 2 &&
      w >= 2 &&
      c * h * w < EXACT_FLOATS;
    if (!eligible) {
      result.push(n);
      continue;
    }
    const mark = e.nodes.length;
    blockedPool(e, reorder.input[0], n.output, [c, h, w], block);
    result.push(...e.nodes.slice(mark));
    blockedOf.set(n.input[0], reorder.input[0]);
  }
  return result.map((n) =>
    n.op_type === 'Shape' && !n.domain && blockedOf.has(n.input[0])
      ? copyMessage(n, { input: [blockedOf.get(n.input[0])!] })
      : n,
  );
}

function blockedPool(e: Emitter, input: string, [p, indices]: string[], [c, h, w]: number[], block: number): void {
  const pool = (x: string, kernel: number[]) =>
    nchwcNode(e, 'MaxPool', [x], [attribute('kernel_shape', kernel), attribute('strides', kernel)]);
  const subsample = (x: string, strides: number[]) =>
    nchwcNode(e, 'MaxPool', [x], [attribute('kernel_shape', [1, 1]), attribute('strides', strides)]);
  const [h2, w2] = [Math.floor(h / 2), Math.floor(w / 2)];
  // an odd last row or column is in no window: cropped (blocks are the innermost axis)
  const x =
    h % 2 || w % 2
      ? e.reshape(
          e.op('Slice', [
            e.reshape(input, [-1, h, w, block]),
            e.ints([0, 0]),
            e.ints([2 * h2, 2 * w2]),
            e.ints([1, 2]),
          ]),
          [-1, c, 2 * h2, 2 * w2],
        )
      : input;
  const pairMax = pool(x, [1, 2]);
  const right = e.op('Greater', [pairMax, subsample(x, [1, 2])]);
  const blocked = pool(pairMax, [2, 1]);
  const bottom = e.op('Greater', [blocked, subsample(pairMax, [2, 1])]);
  // rows of blocks, [N x C/block x H/2, 2, W/2 x block], and the window rows' pairs in them
  const row = w2 * block;
  const [rightTop, rightBottom] = e.split(
    e.reshape(e.op('Cast', [right], { to: DataType.FLOAT }), [-1, 2, row]),
    1,
    [1, 1],
  );
  const offset = e.op('Where', [e.reshape(bottom, [-1, 1, row]), e.op('Add', [rightBottom, e.scalar(w)]), rightTop]);
  const plain = nchwcNode(e, 'ReorderOutput', [e.reshape(offset, [-1, c, h2, w2])], [attribute('channels', c)]);
  const firsts = new Float32Array(c * h2 * w2);
  for (let k = 0, t = 0; k < c; k++)
    for (let i = 0; i < h2; i++) for (let j = 0; j < w2; j++) firsts[t++] = k * h * w + 2 * i * w + 2 * j;
  const inSample = e.op('Cast', [e.op('Add', [plain, e.floats([1, c, h2, w2], firsts)])], {
    to: DataType.INT64,
  });
  const samples = e.op('Range', [
    e.ints([0], []),
    e.op('Gather', [e.op('Shape', [input]), e.ints([0], [])], { axis: 0 }),
    e.ints([1], []),
  ]);
  e.node('Add', [inSample, e.reshape(e.op('Mul', [samples, e.ints([c * h * w], [])]), [-1, 1, 1, 1])], {}, [indices]);
  nchwcNode(e, 'ReorderOutput', [blocked], [attribute('channels', c)], [p]);
}

/** Element-wise ops that run on blocked tensors as they are (every input of one shape, or a scalar). */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Sum', 'Greater', 'Cast']);

/**
 * Element-wise ops of plain copies (ReorderOutputs) of blocked tensors of one shape run on the
 * blocked tensors (the layout does not change an element's value), and their plain results are
 * ReorderOutputs of the blocked ones: a Relu's gradient mask, a residual Add, a sum of gradients.
 * Then a plain copy nothing else reads goes, a ReorderInput for the next Conv reads the blocked
 * tensor (withoutReorderPairs), and a channels-last Transpose (a weight gradient's windows) is a
 * channels-last ReorderOutput of the blocked one. A comparison's plain result (bool, which
 * ReorderOutput does not take) stays as it was.
 */
function withBlockedElementwise(nodes: NodeProto[], index: GraphIndex, e: Emitter): NodeProto[] {
  const twins = new Map<string, { blocked: string; channels: number; float: boolean }>();
  const scalar = (t: string) => index.constantTensor(t)?.dims.every((d) => Number(d) === 1) ?? false;
  const reorder = (blocked: string, channels: number, output: string, channelsLast = false) =>
    nchwcProto(
      e,
      'ReorderOutput',
      [blocked],
      [attribute('channels', channels), ...(channelsLast ? [attribute('channels_last', 1)] : [])],
      [output],
    );
  const result: NodeProto[] = [];
  for (const n of nodes) {
    if (isReorder(n, 'ReorderOutput'))
      twins.set(n.output[0], { blocked: n.input[0], channels: attrInt(n, 'channels', 0), float: true });
    const twin = twins.get(n.input[0]);
    if (!n.domain && n.op_type === 'Transpose' && sameDims(attrInts(n, 'perm'), [0, 2, 3, 1]) && twin?.float) {
      result.push(reorder(twin.blocked, twin.channels, n.output[0], true));
      continue;
    }
    const tensors = n.input.filter((i) => !scalar(i));
    const channels = new Set(tensors.map((t) => twins.get(t)?.channels));
    const eligible =
      !n.domain &&
      ELEMENTWISE.has(n.op_type) &&
      tensors.length > 0 &&
      channels.size === 1 &&
      !channels.has(undefined) &&
      index.shape(tensors[0])?.length === 4 &&
      tensors.every((t) => sameShape(index, tensors[0], t));
    if (!eligible) {
      result.push(n);
      continue;
    }
    const blocked = e.fresh(n.op_type);
    result.push(
      copyMessage(n, {
        name: e.fresh(`${n.op_type}_node`),
        input: n.input.map((i) => twins.get(i)?.blocked ?? i),
        output: [blocked],
      }),
    );
    const float =
      n.op_type === 'Cast'
        ? attrInt(n, 'to', 0) === DataType.FLOAT
        : n.op_type !== 'Greater' && tensors.every((t) => twins.get(t)!.float);
    const c = [...channels][0]!;
    twins.set(n.output[0], { blocked, channels: c, float });
    result.push(float ? reorder(blocked, c, n.output[0]) : n);
  }
  return result;
}

/**
 * A ReorderInput of a ReorderOutput's plain tensor is the blocked tensor the ReorderOutput read
 * (every blocked Conv's output channels are whole blocks, so nothing is padded): its readers read
 * that instead, and the two layout passes go (0.2 ms for the demo CNN's 16-channel 28x28 one).
 */
function withoutReorderPairs(nodes: NodeProto[], outputs: Set<string>): NodeProto[] {
  const producers = producersOf(nodes);
  const blocked = new Map<string, string>();
  for (const n of nodes)
    if (isReorder(n, 'ReorderInput') && !outputs.has(n.output[0])) {
      const from = producers.get(n.input[0]);
      if (isReorder(from, 'ReorderOutput')) blocked.set(n.output[0], from.input[0]);
    }
  if (blocked.size === 0) return nodes;
  return nodes
    .filter((n) => !blocked.has(n.output[0]))
    .map((n) =>
      n.input.some((i) => blocked.has(i)) ? copyMessage(n, { input: n.input.map((i) => blocked.get(i) ?? i) }) : n,
    );
}
