// Conv with groups, strides, pads (explicit or auto_pad), dilations, any spatial rank.
//   dX = ConvTranspose(dY, W) with the forward geometry and an output_padding that restores X's size.
//   dW = a Conv of X by dY with batch and channel axes swapped (strides and dilations trade places),
//        grouped the same way as the forward Conv, cropped to the kernel size.
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

const conv: GradRule = (ctx) => {
  const { e, node } = ctx;
  const g = gradOf(ctx);
  const [x, w] = node.input;
  const wShape = ctx.shape(w);
  const kernel = wShape.slice(2).map((_, i) => staticDim(ctx, w, i + 2));
  const geo = convGeometry(ctx, kernel);
  const group = attrInt(node, 'group', 1);
  const inChannels = staticDim(ctx, x, 1);
  const gx = ctx.needs[0]
    ? e.op('ConvTranspose', [g, w], {
        strides: geo.strides,
        dilations: geo.dilations,
        pads: [...geo.padBegin, ...geo.padEnd],
        output_padding: outputPadding(geo),
        group,
      })
    : undefined;
  const gw = ctx.needs[1] ? weightGrad(e, x, g, geo, inChannels, group) : undefined;
  const gb = ctx.needs[2] ? e.reduceSum(g, [0, ...range(2, 2 + kernel.length)], false) : undefined;
  return [gx, gw, gb];
};

export const CONV_RULES: Record<string, GradRule> = { Conv: conv };
