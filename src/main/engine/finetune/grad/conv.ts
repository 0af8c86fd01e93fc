// Conv with groups, strides, pads (explicit or auto_pad), dilations, any spatial rank.
//   dX = ConvTranspose(dY, W) with the forward geometry and an output_padding that restores X's
//        size; for stride 1 a Conv with the flipped kernel (faster in onnxruntime).
//   dW = one GEMM per kernel tap (ungrouped), or a Conv of X by dY with batch and channel axes
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
  const total = kernel.map((k, i) =>
    Math.max(0, (outSize[i] - 1) * strides[i] + (k - 1) * dilations[i] + 1 - inSize[i]),
  );
  const small = total.map((t) => Math.floor(t / 2));
  const large = total.map((t, i) => t - small[i]);
  if (auto === 'SAME_UPPER') return { inSize, outSize, kernel, strides, dilations, padBegin: small, padEnd: large };
  if (auto === 'SAME_LOWER') return { inSize, outSize, kernel, strides, dilations, padBegin: large, padEnd: small };
  throw new MemLensError('BAD_MODEL', `${node.op_type} node ${node.name}: unknown auto_pad '${auto}'`);
}

/** The output_padding that makes a transposed convolution of the output give back `inSize`. */
export function outputPadding(geo: ConvGeometry): number[] {
  return geo.inSize.map(
    (s, i) =>
      s -
      ((geo.outSize[i] - 1) * geo.strides[i] +
        (geo.kernel[i] - 1) * geo.dilations[i] +
        1 -
        geo.padBegin[i] -
        geo.padEnd[i]),
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every kernel tap as an index vector, row-major. */
function taps(kernel: number[]): number[][] {
  return kernel.reduce<number[][]>((acc, k) => acc.flatMap((t) => range(0, k).map((i) => [...t, i])), [[]]);
}

// Ungrouped convs: dW[:, :, tap] = dY (as [M, N*Ho*Wo]) x the input window the tap reads (as
// [N*Ho*Wo, C]), from the padded channels-last input. Two ways to get the windows, measured
// (docs/FINETUNE.md). One strided Slice and one MatMul per tap, each window used while it is fresh:
// in a one-thread session (the shards of shards.ts) this is the fastest way (the demo CNN's step 4%
// faster than by the Gather below), and so it is for larger windows (ResNet-50 at 224: 0.9-7.4 MB per
// image, where the Gather ran 0.63-0.92x as fast) and for a one-channel input (whose Gather copies one
// float per index). Otherwise, in a session of several threads, where one image's windows of all
// taps fit in GATHER_BYTES_PER_IMAGE: one Gather of rows (indices tap x sample x position; the sample
// offsets follow the run's batch size) and one MatMul broadcast over the taps, which onnxruntime
// splits over every intra-op thread while it runs a Slice on one (the demo CNN's step 1.09x faster
// with 2 threads).
const GATHER_BYTES_PER_IMAGE = 1 << 20;
const LAYOUT_IN_JS = 1 << 18;

function weightGradByTaps(
  e: Emitter,
  x: string,
  g: string,
  geo: ConvGeometry,
  inChannels: number,
  outChannels: number,
  threads: number,
): string {
  const r = geo.kernel.length;
  const spatial = range(2, 2 + r);
  // Channels last before padding: a tap whose window is the unpadded input (the centre of a "same"
  // 3x3, a 1x1) then needs no copy of its own.
  const channelsLast = e.transpose(x, [0, ...spatial, 1]);
  const padded = [...geo.padBegin, ...geo.padEnd].some((p) => p > 0)
    ? e.op('Pad', [channelsLast, e.ints([0, ...geo.padBegin, 0, 0, ...geo.padEnd, 0])])
    : channelsLast;
  const dy = e.reshape(e.transpose(g, [1, 0, ...spatial]), [outChannels, -1]);
  const outPositions = taps(geo.outSize);
  const kernelTaps = taps(geo.kernel);
  const dims = [outChannels, inChannels, ...geo.kernel];
  const windowBytes = kernelTaps.length * outPositions.length * inChannels * 4;
  if (threads < 2 || inChannels < 2 || windowBytes > GATHER_BYTES_PER_IMAGE) {
    const perTap = kernelTaps.map((t) => {
      const starts = t.map((ti, a) => ti * geo.dilations[a]);
      const whole = starts.every(
        (s0, a) => s0 === geo.padBegin[a] && geo.strides[a] === 1 && geo.outSize[a] === geo.inSize[a],
      );
      const ends = starts.map((s0, a) => s0 + (geo.outSize[a] - 1) * geo.strides[a] + 1);
      const window = whole
        ? channelsLast
        : e.op('Slice', [padded, e.ints(starts), e.ints(ends), e.ints(range(1, 1 + r)), e.ints(geo.strides)]);
      return e.op('MatMul', [dy, e.reshape(window, [-1, inChannels])]);
    });
    // [taps * O, I]: each product where it lands, no copy after the Concat (laid out as below).
    return tapsToWeight(
      e,
      e.op('Concat', perTap, { axis: 0 }),
      kernelTaps.map((_, k) => k),
      dims,
    );
  }
  const paddedSize = geo.inSize.map((s, i) => s + geo.padBegin[i] + geo.padEnd[i]);
  const perImage = paddedSize.reduce((a, b) => a * b, 1);
  const size = kernelTaps.length;
  const inJs = outChannels * inChannels * size <= LAYOUT_IN_JS;
  // Two output positions side by side on the last axis read two adjacent rows through every tap
  // (stride 1 there), so one Gather index can copy both: onnxruntime's Gather took about 9 ns a
  // row whether the row held 64 or 128 bytes (docs/FINETUNE.md). Where the output and padded sizes
  // on that axis are even, the pairs of a tap at an even offset there start on even rows; a tap at
  // an odd offset reads its pairs from the input padded one column less before and one more after
  // on that axis (a second Pad of the channels-last input: a Pad by -1 of the padded rows took 3.5x
  // as long). The taps then come out grouped by that parity, which the rearrangement below undoes
  // (so only where it is done in JS).
  const last = r - 1;
  const span = inJs && geo.strides[last] === 1 && geo.outSize[last] % 2 === 0 && paddedSize[last] % 2 === 0 ? 2 : 1;
  const parity = (t: number[]) => (t[last] * geo.dilations[last]) % span;
  const groups = range(0, span)
    .map((p) => range(0, size).filter((k) => parity(kernelTaps[k]) === p))
    .filter((g) => g.length > 0);
  // Row of each sample's first padded position, in rows of `span` positions: 0, P, 2P, ... as [1, N, 1].
  const step = perImage / span;
  const batch = e.reshape(e.op('Shape', [x], { start: 0, end: 1 }), []);
  const sampleRows = e.reshape(
    e.op('Range', [e.ints([0], []), e.op('Mul', [batch, e.ints([step], [])]), e.ints([step], [])]),
    [1, -1, 1],
  );
  // Row, within a padded image, of the input each output position reads through each tap.
  const rowOf = (t: number[], o: number[]) =>
    o.reduce((acc, oa, a) => acc * paddedSize[a] + oa * geo.strides[a] + t[a] * geo.dilations[a], 0);
  const starts = outPositions.filter((o) => o[last] % span === 0);
  const shift = (pads: number[], by: number) => pads.map((v, a) => (a === last ? v + by : v));
  const products = groups.map((group) => {
    const p = parity(kernelTaps[group[0]]);
    const source =
      p === 0
        ? padded
        : e.op('Pad', [channelsLast, e.ints([0, ...shift(geo.padBegin, -1), 0, 0, ...shift(geo.padEnd, 1), 0])]);
    const within = e.ints(
      group.flatMap((k) => starts.map((o) => (rowOf(kernelTaps[k], o) - p) / span)),
      [group.length, 1, starts.length],
    );
    const windows = e.op('Gather', [e.reshape(source, [-1, span * inChannels]), e.op('Add', [within, sampleRows])], {
      axis: 0,
    });
    return e.op('MatMul', [dy, e.reshape(windows, [group.length, -1, inChannels])]);
  });
  const perTap = products.length === 1 ? products[0] : e.op('Concat', products, { axis: 0 });
  return tapsToWeight(e, perTap, groups.flat(), dims);
}

/**
 * The per-tap products, stacked as [taps, O, I] in the tap order `stacked`, as the weight's
 * [O, I, ...k]. Up to LAYOUT_IN_JS elements as a rearrangement, which the CPU runtime does in JS
 * after the run (rearrange.ts): onnxruntime's Transpose of the demo CNN's gradients ran on one
 * thread, and the step was 1.02-1.05x faster without it. ResNet-50's 512x512x3x3 ones (2.4 M
 * elements, ~13 ms each in JS) made its step 4-8% slower: a Transpose.
 */
function tapsToWeight(e: Emitter, perTap: string, stacked: number[], dims: number[]): string {
  const [outChannels, inChannels] = dims;
  const size = stacked.length;
  if (outChannels * inChannels * size > LAYOUT_IN_JS)
    return e.reshape(e.transpose(e.reshape(perTap, [size, outChannels, inChannels]), [1, 2, 0]), dims);
  const at = new Array<number>(size);
  stacked.forEach((k, i) => (at[k] = i));
  const order = Array.from({ length: outChannels * inChannels * size }, (_, t) => {
    const [oi, k] = [Math.floor(t / size), t % size];
    return at[k] * outChannels * inChannels + oi;
  });
  return e.rearrange(perTap, order, dims);
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
    (s, i) =>
      Math.floor(
        (s + geo.padBegin[i] + geo.padEnd[i] - ((geo.outSize[i] - 1) * geo.strides[i] + 1)) / geo.dilations[i],
      ) + 1,
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
  for (let i = 0; i < inChannels; i++)
    for (let o = 0; o < outChannels; o++)
      for (let k = size - 1; k >= 0; k--) order[t++] = (o * inChannels + i) * size + k;
  return order;
}

// Stride 1, ungrouped: dX is the convolution of dY with the kernel flipped in space and its two
// channel axes swapped, padded by dilation * (k - 1) - pad. On the demo CNN's layer shapes (batch 64,
// 2 threads) that Conv took 0.6-0.8x the time of onnxruntime's ConvTranspose in four of five.
function inputGrad(
  e: Emitter,
  g: string,
  w: string,
  geo: ConvGeometry,
  group: number,
  outChannels: number,
  inChannels: number,
): string {
  const reach = geo.kernel.map((k, i) => geo.dilations[i] * (k - 1));
  const begin = reach.map((d, i) => d - geo.padBegin[i]);
  const end = reach.map((d, i) => d - geo.padEnd[i]);
  if (group === 1 && geo.strides.every((s) => s === 1) && [...begin, ...end].every((p) => p >= 0)) {
    const flipped = e.rearrange(w, flippedOrder(outChannels, inChannels, geo.kernel), [
      inChannels,
      outChannels,
      ...geo.kernel,
    ]);
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
      ? weightGradByTaps(e, x, g, geo, inChannels, outChannels, ctx.threads)
      : weightGrad(e, x, g, geo, inChannels, group);
  // From the pooled gradient where g is a MaxPool's input gradient (emit.ts): a quarter of the
  // elements behind a 2x2 pool.
  const gb = ctx.needs[2]
    ? e.reduceSum(e.channelSums.get(g) ?? g, [0, ...range(2, 2 + kernel.length)], false)
    : undefined;
  return [gx, gw, gb];
};

export const CONV_RULES: Record<string, GradRule> = { Conv: conv };
