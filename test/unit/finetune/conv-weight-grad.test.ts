// The Conv weight gradient both ways it is built (Gathers of channels-last rows, two positions a row
// where the sizes are even, for sessions of several threads where every tap's window fits in 1 MB
// per image and the input has several channels; one Slice per tap otherwise), against the sum that
// defines it, computed in JS:
// dW[m, c, i, j] = sum over samples and output positions of dY[n, m, p] * x[n, c, p + (i, j) - pad].
// The batch fed differs from the ones the graph was probed with, so the Gather's sample offsets
// must follow it.
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { encodeModel } from '../../../src/main/engine/onnx/codec.js';
import { create, DataType } from '../../../src/main/engine/onnx/schema.js';
import { floatInput, tensorProto } from '../../../src/main/engine/finetune/emit.js';
import { gradientModel } from '../../../src/main/engine/finetune/gradient.js';
import { probeShapes } from '../../../src/main/engine/finetune/probe.js';
import { hoistRearrangements, runHoisted } from '../../../src/main/engine/finetune/rearrange.js';
import { node, uniform } from './fd.js';

function model(S: number, stride: number, C: number, M: number) {
  const out = Math.floor((S + 2 - 3) / stride) + 1;
  const dy = tensorProto('dy', DataType.FLOAT, [1, M, out, out], uniform(M * out * out, 5));
  return {
    out,
    dy,
    proto: create('ModelProto', {
      ir_version: 8,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
      graph: create('GraphProto', {
        name: 'conv',
        // loss = sum(y * dy): dY is dy for every sample (broadcast over the batch)
        node: [
          node('Conv', ['x', 'w'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] }),
          node('Mul', ['y', 'dy'], ['weighted']),
          node('ReduceSum', ['weighted'], ['loss'], { keepdims: 0 }),
        ],
        initializer: [dy],
        input: [floatInput('x', ['batch', C, S, S]), floatInput('w', [M, C, 3, 3])],
        output: [create('ValueInfoProto', { name: 'loss' })],
      }),
    }),
  };
}

function reference(
  M: number,
  x: Float32Array,
  dy: number[],
  n: number,
  S: number,
  out: number,
  stride: number,
  C: number,
): Float64Array {
  const dw = new Float64Array(M * C * 9);
  for (let b = 0; b < n; b++)
    for (let m = 0; m < M; m++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            let sum = 0;
            for (let oy = 0; oy < out; oy++) {
              const iy = oy * stride + i - 1;
              if (iy < 0 || iy >= S) continue;
              for (let ox = 0; ox < out; ox++) {
                const ix = ox * stride + j - 1;
                if (ix >= 0 && ix < S) sum += dy[(m * out + oy) * out + ox] * x[((b * C + c) * S + iy) * S + ix];
              }
            }
            dw[(m * C + c) * 9 + i * 3 + j] += sum;
          }
  return dw;
}

test.each([
  // For sessions of several threads, 0.3 MB of windows per image: pairs of positions per index,
  // one Gather for the taps at even columns and one for those at odd ones, and one for the taps-last
  // layout (made in JS once hoisted)
  { S: 16, C: 32, M: 4, stride: 1, threads: 2, op: 'Gather', count: 3, inJs: true },
  { S: 15, C: 32, M: 4, stride: 1, threads: 2, op: 'Gather', count: 2, inJs: true }, // odd sizes: one position per index
  { S: 16, C: 32, M: 4, stride: 2, threads: 2, op: 'Gather', count: 2, inJs: true },
  { S: 16, C: 4, M: 4, stride: 1, threads: 2, op: 'Gather', count: 3, inJs: true },
  // One-thread sessions (the shards): a Slice per tap, the centre tap's window the input itself, and
  // the taps-last layout made in JS up to 2^18 elements
  { S: 16, C: 32, M: 4, stride: 1, threads: 1, op: 'Slice', count: 8, inJs: true },
  { S: 16, C: 32, M: 4, stride: 2, threads: 1, op: 'Slice', count: 9, inJs: true },
  { S: 16, C: 1, M: 4, stride: 1, threads: 2, op: 'Slice', count: 8, inJs: true }, // one channel: Slices however small
  { S: 64, C: 32, M: 4, stride: 1, threads: 2, op: 'Slice', count: 8, inJs: true }, // 4.7 MB: Slices at any thread count
  { S: 64, C: 32, M: 4, stride: 2, threads: 2, op: 'Slice', count: 9, inJs: true },
  // a fed weight the blocked kernels take (1024 outputs): the shape probe runs it as training does
  { S: 8, C: 32, M: 1024, stride: 1, threads: 1, op: 'Slice', count: 8, inJs: false },
])(
  '$S x $S x $C, stride $stride, $threads threads: the weight gradient by $op matches its definition',
  async ({ S, C, M, stride, threads, op, count, inJs }) => {
    const { proto, out, dy } = model(S, stride, C, M);
    const w = Float32Array.from(uniform(M * C * 9, 3));
    const feeds = (n: number) => ({
      x: new ort.Tensor('float32', Float32Array.from(uniform(n * C * S * S, 7 + n)), [n, C, S, S]),
      w: new ort.Tensor('float32', w, [M, C, 3, 3]),
    });
    const shapes = await probeShapes(proto, [feeds(1), feeds(2)]);
    const { model: train, grads } = gradientModel(proto, 'loss', ['w'], shapes, 'conv', threads);
    expect(train.graph!.node.filter((n) => n.op_type === op).length).toBe(count);
    // As built, and with its rearranged output made in JS as the CPU runtime does (rearrange.ts).
    const hoisted = hoistRearrangements(train);
    expect(hoisted.outputs.map((r) => r.name)).toEqual(inJs ? [grads.get('w')] : []);
    const sessions = await Promise.all(
      [train, hoisted.model].map((m) => ort.InferenceSession.create(encodeModel(m), { intraOpNumThreads: 1 })),
    );
    try {
      const n = 3;
      const x = feeds(n);
      const fetch = [grads.get('w')!];
      const runs = [await sessions[0].run(x, fetch), await runHoisted(sessions[1], hoisted, x, fetch)];
      const want = reference(
        M,
        x.x.data as Float32Array,
        Array.from(new Float32Array(dy.raw_data.slice().buffer)),
        n,
        S,
        out,
        stride,
        C,
      );
      for (const run of runs) {
        const got = run[fetch[0]].data as Float32Array;
        let err = 0;
        let norm = 0;
        for (let k = 0; k < want.length; k++) {
          err += (got[k] - want[k]) ** 2;
          norm += want[k] ** 2;
        }
        expect(Math.sqrt(err / norm)).toBeLessThan(1e-5);
      }
    } finally {
      await Promise.all(sessions.map((s) => s.release()));
    }
  },
);
