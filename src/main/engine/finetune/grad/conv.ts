// Conv with groups, strides, pads (explicit or auto_pad), dilations, any spatial rank.
//   dX = ConvTranspose(dY, W) with the forward geometry and an output_padding that restores X's
//        size; for stride 1 a Conv with the flipped kernel (faster in onnxruntime).
//   dW = one GEMM per kernel tap, batched over the taps (ungrouped), or a Conv of X by dY with batch and channel axes
//        swapped (strides and dilations trade places), grouped like the forward Conv, cropped to
//        the kernel size.
//   dB = dY summed over batch and spatial axes.
import { MemLensError } from '../../errors.js';
import { attrInt, attrInts, attrString } from '../../onnx/graph-index.js';
import type { Emitter } from '../emit.js';
import { staticDim, gradOf, type GradContext, type GradRule } from './rule.js';

export interface ConvGeometry {
  /** Spatial sizes of the input and output, the kernel. */
  inSize: number[];
  outSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
}

/** Resolves auto_pad to explicit pads, as the ONNX spec defines them. */
export function convGeometry(ctx: GradContext, kernel: number[]): ConvGeometry {
  const { node } = ctx;
  const [x] = node.input;
  const r = kernel.length;
  const inSize = kernel.map((_, i) => staticDim(ctx, x, i + 2));
  const outSize = kernel.map((_, i) => staticDim(ctx, node.output[0], i + 2));
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(node, 'dilations') ?? kernel.map(() => 1);
  const pads = attrInts(node, 'pads') ?? new Array<number>(2 * r).fill(0);
  const auto = attrString(node, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET' || auto === 'VALID') {
    const p = auto === 'VALID' ? new Array<number>(2 * r).fill(0) : pads;
    return { inSize, outSize, kernel, strides, dilations, padBegin: p.slice(0, r), padEnd: p.slice(r) };
  }
  const total = kernel.map((k, i) => Math.max(0, (outSize[i] - 1) * strides[i] + (k - 1) * dilations[i] + 1 - inSize[i]));
  const small = total.map((t) => Math.floor(t / 2));
  const large = total.map((t, i) => t - small[i]);
  if (auto === 'SAME_UPPER') return { inSize, outSize, kernel, strides, dilations, padBegin: small, padEnd: large };
  if (auto === 'SAME_LOWER') return { inSize, outSize, kernel, strides, dilations, padBegin: large, padEnd: small };
  throw new MemLensError('BAD_MODEL', `${node.op_type} node ${node.name}: unknown auto_pad '${auto}'`);
}

/** The output_padding that makes a transposed convolution of the output give back `inSize`. */
export function outputPadding(geo: ConvGeometry): number[] {
  return geo.inSize.map(
    (s, i) => s - ((geo.outSize[i] - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1 - geo.padBegin[i] - geo.padEnd[i]),
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every kernel tap as an index vector, row-major. */
function taps(kernel: number[]): number[][] {
  return kernel.reduce<number[][]>((acc, k) => acc.flatMap((t) => range(0, k).map((i) => [...t, i])), [[]]);
}

// Bytes of one image's tap windows gathered at once; more taps than fit go in several Gathers.
// The demo CNN's largest layer needs 0.45 MB per image (one Gather), ResNet-50's 56x56 ones 7.2 MB
// (two), so a batch of 64 holds at most ~256 MB of windows at a time.
const WINDOW_BYTES_PER_IMAGE = 4 << 20;

// Ungrouped convs: dW[:, :, tap] = dY (as [M, N*Ho*Wo]) x the input window the tap reads (as
// [N*Ho*Wo, C]). The windows of every tap come from one Gather of rows of the padded channels-last
// input, indices [tap, sample, position] (the sample offsets follow the run's batch size), and one
// MatMul broadcasts dY over the taps. onnxruntime runs Gather and batched MatMul on every intra-op
// thread, where the Slice per tap it replaces ran on one (docs/FINETUNE.md has the figures).
function weightGradByTaps(e: Emitter, x: string, g: string, geo: ConvGeometry, inChannels: number, outChannels: number): string {
  const r = geo.kernel.length;
  const spatial = range(2, 2 + r);
  const channelsLast = e.transpose(x, [0, ...spatial, 1]);
  const padded = [...geo.padBegin, ...geo.padEnd].some((p) => p > 0)
    ? e.op('Pad', [channelsLast, e.ints([0, ...geo.padBegin, 0, 0, ...geo.padEnd, 0])])
    : channelsLast;
  const rows = e.reshape(padded, [-1, inChannels]);
  const dy = e.reshape(e.transpose(g, [1, 0, ...spatial]), [outChannels, -1]);
  // A 1x1 stride-1 unpadded conv (ResNet's bottlenecks) reads the whole input through its one tap.
  if (geo.kernel.every((k, i) => k === 1 && geo.strides[i] === 1 && geo.padBegin[i] === 0 && geo.outSize[i] === geo.inSize[i])) {
    return e.reshape(e.op('MatMul', [dy, rows]), [outChannels, inChannels, ...geo.kernel]);
  }
  const paddedSize = geo.inSize.map((s, i) => s + geo.padBegin[i] + geo.padEnd[i]);
  const perImage = paddedSize.reduce((a, b) => a * b, 1);
  // Row of each sample's first padded position: 0, P, 2P, ... as [1, N, 1].
  const batch = e.reshape(e.op('Shape', [x], { start: 0, end: 1 }), []);
  const sampleRows = e.reshape(e.op('Range', [e.ints([0], []), e.op('Mul', [batch, e.ints([perImage], [])]), e.ints([perImage], [])]), [1, -1, 1]);
  const outPositions = taps(geo.outSize);
  const kernelTaps = taps(geo.kernel);
  // Row, within a padded image, of the input each output position reads through each tap.
  const rowOf = (t: number[], o: number[]) => o.reduce((acc, oa, a) => acc * paddedSize[a] + oa * geo.strides[a] + t[a] * geo.dilations[a], 0);
  const perGather = Math.max(1, Math.floor(WINDOW_BYTES_PER_IMAGE / (outPositions.length * inChannels * 4)));
  const parts: string[] = [];
  for (let from = 0; from < kernelTaps.length; from += perGather) {
    const group = kernelTaps.slice(from, from + perGather);
    const within = e.ints(group.flatMap((t) => outPositions.map((o) => rowOf(t, o))), [group.length, 1, outPositions.length]);
    const windows = e.op('Gather', [rows, e.op('Add', [within, sampleRows])], { axis: 0 });
    parts.push(e.op('MatMul', [dy, e.reshape(windows, [group.length, -1, inChannels])]));
  }
  const perTap = parts.length === 1 ? parts[0] : e.op('Concat', parts, { axis: 0 });
  return e.reshape(e.transpose(perTap, [1, 2, 0]), [outChannels, inChannels, ...geo.kernel]);
}

function weightGrad(e: Emitter, x: string, g: string, geo: ConvGeometry, inChannels: number, group: number): string {
  const r = geo.kernel.length;
  const spatial = range(2, 2 + r);
  const swap = [1, 0, ...spatial];
  // Input rows become [C/group, group * N, ...]: channel block k holds group k's inputs of every sample.
  const xs =
    group === 1
      ? e.transpose(x, swap)
      : e.reshape(
          e.transpose(e.reshape(x, [0, group, inChannels / group, ...geo.inSize]), [2, 1, 0, ...range(3, 3 + r)]),
          [inChannels / group, -1, ...geo.inSize],
        );
  const full = e.op('Conv', [xs, e.transpose(g, swap)], {
    strides: geo.dilations,
    dilations: geo.strides,
    pads: [...geo.padBegin, ...geo.padEnd],
    group,
  });
  // The swapped convolution can cover more taps than the kernel has when the stride does not
  // divide the padded input evenly; those extra taps are not weights.
  const reach = geo.inSize.map(
    (s, i) => Math.floor((s + geo.padBegin[i] + geo.padEnd[i] - ((geo.outSize[i] - 1) * geo.strides[i] + 1)) / geo.dilations[i]) + 1,
  );
  const cropped = reach.some((k, i) => k > geo.kernel[i])
    ? e.op('Slice', [full, e.ints(spatial.map(() => 0)), e.ints(geo.kernel), e.ints(spatial)])
    : full;
  return e.transpose(cropped, swap);
}

/** Source positions, in W [O, I, ...k], of its spatially flipped, channel-swapped copy [I, O, ...k]. */
function flippedOrder(outChannels: number, inChannels: number, kernel: number[]): number[] {
  const size = kernel.reduce((a, b) => a * b, 1);
  const order = new Array<number>(outChannels * inChannels * size);
  let t = 0;
  // Flipping every spatial axis reverses the row-major kernel index.
  for (let i = 0; i < inChannels; i++) for (let o = 0; o < outChannels; o++) for (let k = size - 1; k >= 0; k--) order[t++] = (o * inChannels + i) * size + k;
  return order;
}

// Stride 1, ungrouped: dX is the convolution of dY with the kernel flipped in space and its two
// channel axes swapped, padded by dilation * (k - 1) - pad. On the demo CNN's layer shapes (batch 64,
// 2 threads) that Conv took 0.6-0.8x the time of onnxruntime's ConvTranspose in four of five.
function inputGrad(e: Emitter, g: string, w: string, geo: ConvGeometry, group: number, outChannels: number, inChannels: number): string {
  const reach = geo.kernel.map((k, i) => geo.dilations[i] * (k - 1));
  const begin = reach.map((d, i) => d - geo.padBegin[i]);
  const end = reach.map((d, i) => d - geo.padEnd[i]);
  if (group === 1 && geo.strides.every((s) => s === 1) && [...begin, ...end].every((p) => p >= 0)) {
    const flipped = e.rearrange(w, flippedOrder(outChannels, inChannels, geo.kernel), [inChannels, outChannels, ...geo.kernel]);
    return e.op('Conv', [g, flipped], { dilations: geo.dilations, pads: [...begin, ...end] });
  }
  return e.op('ConvTranspose', [g, w], {
    strides: geo.strides,
    dilations: geo.dilations,
    pads: [...geo.padBegin, ...geo.padEnd],
    output_padding: outputPadding(geo),
    group,
  });
}

const conv: GradRule = (ctx) => {
  const { e, node } = ctx;
  const g = gradOf(ctx);
  const [x, w] = node.input;
  const wShape = ctx.shape(w);
  const kernel = wShape.slice(2).map((_, i) => staticDim(ctx, w, i + 2));
  const geo = convGeometry(ctx, kernel);
  const group = attrInt(node, 'group', 1);
  const inChannels = staticDim(ctx, x, 1);
  const outChannels = staticDim(ctx, w, 0);
  const gx = ctx.needs[0] ? inputGrad(e, g, w, geo, group, outChannels, inChannels) : undefined;
  const gw = !ctx.needs[1]
    ? undefined
    : group === 1
      ? weightGradByTaps(e, x, g, geo, inChannels, outChannels)
      : weightGrad(e, x, g, geo, inChannels, group);
  const gb = ctx.needs[2] ? e.reduceSum(g, [0, ...range(2, 2 + kernel.length)], false) : undefined;
  return [gx, gw, gb];
};

export const CONV_RULES: Record<string, GradRule> = { Conv: conv };
