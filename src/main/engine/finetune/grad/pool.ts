// MaxPool, AveragePool, GlobalAveragePool.
import { MemLensError } from '../../errors.js';
import { attrInt, attrInts } from '../../onnx/graph-index.js';
import { convGeometry, outputPadding, type ConvGeometry } from './conv.js';
import { gradOf, staticDim, type GradRule } from './rule.js';

// The gradient flows to the argmax of each window. MaxPool's optional Indices output gives it as a
// flat index into X (row-major, batch included). Where windows cannot overlap (stride >= dilated
// kernel, e.g. the usual 2x2/2) each element is the argmax of at most one window and MaxUnpool puts
// the gradient there; otherwise several windows can pick the same element and a scatter adds.
const maxPool: GradRule = (ctx) => {
  const { e, node } = ctx;
  if (attrInt(node, 'storage_order', 0) !== 0) {
    throw new MemLensError('UNSUPPORTED', `no gradient for MaxPool node ${node.name} with storage_order=1`);
  }
  if (!node.output[1]) node.output[1] = `${node.output[0]}/memlens_argmax`;
  const [x] = node.input;
  const [, indices] = node.output;
  const kernel = attrInts(node, 'kernel_shape')!;
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(node, 'dilations') ?? kernel.map(() => 1);
  const g = gradOf(ctx);
  let dx: string;
  if (kernel.every((k, i) => strides[i] >= (k - 1) * dilations[i] + 1)) {
    dx = e.op('MaxUnpool', [g, indices, e.op('Shape', [x])], { kernel_shape: kernel, strides });
  } else {
    const zeros = e.op('ConstantOfShape', [e.reshape(e.op('Size', [x]), [1])], { value: e.zerosValue() });
    const flat = e.op('ScatterElements', [zeros, e.reshape(indices, [-1]), e.reshape(g, [-1])], {
      axis: 0,
      reduction: 'add',
    });
    dx = e.reshapeLike(flat, x);
  }
  // Each element of g lands, whole, on one element of the same sample and channel.
  e.channelSums.set(dx, g);
  return [dx];
};

/** How many taps of each window fall inside the (padded or unpadded) input, per output position. */
function windowCounts(geo: ConvGeometry, includePad: boolean): number[] {
  const perAxis = geo.kernel.map((k, i) =>
    Array.from({ length: geo.outSize[i] }, (_, o) => {
      if (includePad) return k;
      let n = 0;
      for (let j = 0; j < k; j++) {
        const at = o * geo.strides[i] - geo.padBegin[i] + j * geo.dilations[i];
        if (at >= 0 && at < geo.inSize[i]) n++;
      }
      return n;
    }),
  );
  // Outer product over the spatial axes, row-major.
  return perAxis.reduce<number[]>((acc, axis) => acc.flatMap((a) => axis.map((b) => a * b)), [1]);
}

// Each input element receives dY / (window size) from every window it lies in: a depthwise
// transposed convolution with an all-ones kernel applied to dY divided by the per-window count.
const averagePool: GradRule = (ctx) => {
  const { e, node } = ctx;
  if (attrInt(node, 'ceil_mode', 0) !== 0) {
    throw new MemLensError('UNSUPPORTED', `no gradient for AveragePool node ${node.name} with ceil_mode=1`);
  }
  const kernel = attrInts(node, 'kernel_shape')!;
  const geo = convGeometry(ctx, kernel);
  const channels = staticDim(ctx, node.input[0], 1);
  const counts = windowCounts(geo, attrInt(node, 'count_include_pad', 0) === 1);
  const scaled = e.op('Mul', [
    gradOf(ctx),
    e.floats(
      [1, 1, ...geo.outSize],
      counts.map((c) => 1 / c),
    ),
  ]);
  const size = kernel.reduce((a, b) => a * b, 1);
  const ones = e.floats([channels, 1, ...kernel], new Array<number>(channels * size).fill(1));
  return [
    e.op('ConvTranspose', [scaled, ones], {
      strides: geo.strides,
      dilations: geo.dilations,
      pads: [...geo.padBegin, ...geo.padEnd],
      output_padding: outputPadding(geo),
      group: channels,
    }),
  ];
};

// One broadcasting Mul by a constant of the spatial shape: onnxruntime's Expand took longer than
// the Mul (0.25 ms for the demo CNN's 32x128x3x3 at batch 32).
const globalAveragePool: GradRule = (ctx) => {
  const { e, node } = ctx;
  const x = node.input[0];
  const spatial = ctx
    .shape(x)
    .slice(2)
    .map((_, a) => staticDim(ctx, x, a + 2));
  const size = spatial.reduce((a, b) => a * b, 1);
  return [e.op('Mul', [gradOf(ctx), e.floats([1, 1, ...spatial], new Array<number>(size).fill(1 / size))])];
};

export const POOL_RULES: Record<string, GradRule> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
