// The CPU rewrite of fed-weight Convs onto onnxruntime's blocked kernels (finetune/nchwc.ts): every
// geometry it takes gives the plain Conv's numbers (onnxruntime's im2col kernel, an independent
// implementation), and the Convs it must leave alone stay as they were.
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { blockedConvs, nchwcBlockSize } from '../../../src/main/engine/finetune/nchwc.js';
import { NCHWC_DOMAIN } from '../../../src/main/engine/finetune/nchwc-ops.js';
import { hoistRearrangements, runHoisted } from '../../../src/main/engine/finetune/rearrange.js';
import { encodeModel } from '../../../src/main/engine/onnx/codec.js';
import { create, DataType, type NodeProto, type TensorProto } from '../../../src/main/engine/onnx/schema.js';
import { tensorProto } from '../../../src/main/engine/finetune/emit.js';
import { node, uniform } from './fd.js';

const N = 2;
const value = (name: string, dims: number[]) =>
  create('ValueInfoProto', {
    name,
    type: create('TypeProto', {
      tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } },
    }),
  });

function model(nodes: NodeProto[], inputs: [string, number[]][], outputs: string[], initializer: TensorProto[] = []) {
  return create('ModelProto', {
    ir_version: 8,
    opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    graph: create('GraphProto', {
      name: 'convs',
      node: nodes,
      initializer,
      input: inputs.map(([n, d]) => value(n, d)),
      output: outputs.map((name) => create('ValueInfoProto', { name })),
    }),
  });
}

async function run(m: ReturnType<typeof model>, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(encodeModel(m), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  const out = await session.run(feeds);
  await session.release();
  return out;
}

/** Inputs of these dims, seeded from `seed` up. */
const feedsOf = (inputs: [string, number[]][], seed: number) =>
  Object.fromEntries(
    inputs.map(([name, dims], i) => [
      name,
      new ort.Tensor(
        'float32',
        Float32Array.from(
          uniform(
            dims.reduce((a, b) => a * b, 1),
            seed + i,
          ),
        ),
        dims,
      ),
    ]),
  );

/** The blocked graph as the training loop runs it: the weight layouts made in JS (rearrange.ts). */
async function runBlocked(
  plain: ReturnType<typeof model>,
  block: number,
  feeds: Record<string, ort.Tensor>,
  outputs: string[],
) {
  const hoisted = hoistRearrangements(blockedConvs(plain, block));
  const session = await ort.InferenceSession.create(encodeModel(hoisted.model), { intraOpNumThreads: 1 });
  const got = await runHoisted(session, hoisted, feeds, outputs);
  await session.release();
  return got;
}

/** Each output as the plain graph gives it, to 1e-5 of its largest value. */
function expectClose(got: ort.InferenceSession.ReturnType, want: ort.InferenceSession.ReturnType, outputs: string[]) {
  for (const o of outputs) {
    expect(got[o].dims, o).toEqual(want[o].dims);
    const a = want[o].data as Float32Array;
    const b = got[o].data as Float32Array;
    const scale = Math.max(...Array.from(a, Math.abs));
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / scale, o).toBeLessThan(1e-5);
  }
}

const x64 = process.arch === 'x64';

test('the blocked kernels are found on x64, with their channel block (8 with AVX2, 16 with AVX-512); elsewhere none', async () => {
  if (x64) expect([8, 16]).toContain(await nchwcBlockSize());
  else expect(await nchwcBlockSize()).toBe(0);
});

test.skipIf(!x64)(
  'fed-weight Convs of every geometry give the plain Conv numbers; grouped, constant and unaligned ones stay plain',
  async () => {
    const block = await nchwcBlockSize();
    // 16 and 32 channels are whole blocks at 8 and at 16; 3 input channels take the unreordered-input path.
    const inputs: [string, number[]][] = [
      ['x', [N, 16, 9, 9]],
      ['rgb', [N, 3, 10, 10]],
      ['w_pad', [32, 16, 3, 3]],
      ['b_pad', [32]],
      ['w_stride', [16, 16, 3, 3]],
      ['w_dil', [16, 16, 3, 2]],
      ['w_same', [32, 16, 1, 1]],
      ['w_rgb', [16, 3, 4, 4]],
      ['w_group', [16, 8, 3, 3]],
      ['w_odd', [12, 16, 3, 3]],
    ];
    const nodes = [
      node('Conv', ['x', 'w_pad', 'b_pad'], ['pad'], { pads: [1, 1, 1, 1] }),
      node('Conv', ['x', 'w_stride'], ['stride'], { strides: [2, 2], pads: [1, 0, 0, 1] }),
      node('Conv', ['x', 'w_dil'], ['dil'], { dilations: [2, 1], pads: [2, 0, 1, 2] }),
      node('Conv', ['x', 'w_same'], ['same'], { auto_pad: 'SAME_UPPER', strides: [2, 2] }),
      node('Conv', ['rgb', 'w_rgb'], ['rgbout'], { strides: [2, 2] }),
      node('Conv', ['x', 'w_group'], ['group'], { group: 2, pads: [1, 1, 1, 1] }),
      node('Conv', ['x', 'w_odd'], ['odd'], {}),
      node('Conv', ['x', 'w_const'], ['const'], {}),
    ];
    const outputs = ['pad', 'stride', 'dil', 'same', 'rgbout', 'group', 'odd', 'const'];
    const plain = model(nodes, inputs, outputs, [
      tensorProto('w_const', DataType.FLOAT, [16, 16, 1, 1], uniform(256, 99)),
    ]);
    const blocked = blockedConvs(plain, block);

    const convs = blocked.graph!.node.filter((n) => n.op_type === 'Conv');
    expect(convs.filter((n) => n.domain === NCHWC_DOMAIN)).toHaveLength(5);
    expect(convs.filter((n) => !n.domain).map((n) => n.output[0])).toEqual(['group', 'odd', 'const']);
    expect(blocked.opset_import.find((o) => o.domain === NCHWC_DOMAIN)?.version).toBe(1);

    const feeds = feedsOf(inputs, 1);
    // The weight layouts as inputs of their own, made in JS (rearrange.ts), as the training loop runs it.
    const hoisted = hoistRearrangements(blocked);
    expect(hoisted.inputs.map((r) => r.source).sort()).toEqual(
      ['w_pad', 'w_stride', 'w_dil', 'w_same', 'w_rgb'].sort(),
    );
    expect(hoisted.outputs).toEqual([]);
    expect(hoisted.model.graph!.node.filter((n) => n.op_type === 'Gather')).toHaveLength(0);
    const want = await run(plain, feeds);
    const session = await ort.InferenceSession.create(encodeModel(hoisted.model), { intraOpNumThreads: 1 });
    const gots = [await run(blocked, feeds), await runHoisted(session, hoisted, feeds, outputs)];
    await session.release();
    for (const got of gots) expectClose(got, want, outputs);
  },
);

test.skipIf(!x64)('a graph with nothing to move comes back as the same object', async () => {
  const plain = model(
    [node('Conv', ['x', 'w'], ['y'], {})],
    [['x', [N, 16, 4, 4]]],
    ['y'],
    [tensorProto('w', DataType.FLOAT, [16, 16, 1, 1], uniform(256, 5))],
  );
  expect(blockedConvs(plain, await nchwcBlockSize())).toBe(plain);
});

test.skipIf(!x64)(
  'a Relu behind a blocked Conv runs in the Conv, its masks read the blocked output, and the next Conv takes it',
  async () => {
    const block = await nchwcBlockSize();
    const inputs: [string, number[]][] = [
      ['x', [N, 16, 6, 6]],
      ['w1', [16, 16, 3, 3]],
      ['w2', [16, 16, 3, 3]],
      ['w3', [16, 16, 3, 3]],
    ];
    const pads = { pads: [1, 1, 1, 1] };
    const nodes = [
      node('Conv', ['x', 'w1'], ['c1'], pads),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], pads),
      node('Greater', ['c1', 'zero'], ['g1']),
      node('Cast', ['g1'], ['m1'], { to: DataType.FLOAT }),
      // a mask at another threshold keeps this Relu out of its Conv
      node('Conv', ['x', 'w3'], ['c3'], pads),
      node('Relu', ['c3'], ['r3']),
      node('Greater', ['c3', 'half'], ['g3']),
      node('Cast', ['g3'], ['m3'], { to: DataType.FLOAT }),
    ];
    const outputs = ['c2', 'm1', 'r3', 'm3'];
    const plain = model(nodes, inputs, outputs, [
      tensorProto('zero', DataType.FLOAT, [], [0]),
      tensorProto('half', DataType.FLOAT, [], [0.5]),
    ]);
    const blocked = blockedConvs(plain, block).graph!.node;
    const activation = (n: NodeProto) => n.attribute.find((a) => a.name === 'activation')?.s?.toString();
    const convs = blocked.filter((n) => n.op_type === 'Conv');
    expect(convs.map(activation)).toEqual(['Relu', undefined, undefined]);
    expect(blocked.filter((n) => n.op_type === 'Relu').map((n) => n.output[0])).toEqual(['r3']);
    // x's for the first and the third Conv; the second reads the first's blocked output
    expect(blocked.filter((n) => n.op_type === 'ReorderInput').map((n) => n.input[0])).toEqual(['x', 'x']);
    // the mask is taken on the blocked output (withBlockedElementwise), and its float copy reordered
    expect(blocked.find((n) => n.op_type === 'Greater' && n.input[0] === convs[0].output[0])).toBeDefined();
    expect(blocked.find((n) => n.output[0] === 'm1')?.op_type).toBe('ReorderOutput');

    const feeds = feedsOf(inputs, 11);
    const got = await runBlocked(plain, block, feeds, outputs);
    const want = await run(plain, feeds);
    expectClose(got, want, outputs);
  },
);

test.skipIf(!x64)(
  "a 2x2 MaxPool with indices behind a blocked Conv runs on the blocked tensor: onnxruntime's values and indices, ties included",
  async () => {
    const block = await nchwcBlockSize();
    // A 1x1 identity Conv passes x through exactly, so inputs of a few levels tie within windows
    // (all four equal, two equal in a row or a column, zeros behind the Relu); odd sizes leave a
    // last row or column out of every window.
    const eye = Array.from({ length: 256 }, (_, i) => (i % 17 === 0 ? 1 : 0));
    const cases: [number, number][] = [
      [6, 8],
      [7, 5],
    ];
    for (const [h, w] of cases) {
      const inputs: [string, number[]][] = [
        ['x', [N, 16, h, w]],
        ['eye', [16, 16, 1, 1]],
      ];
      const nodes = [
        node('Conv', ['x', 'eye'], ['c'], {}),
        node('Relu', ['c'], ['r']),
        node('MaxPool', ['r'], ['p', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }),
        node('Shape', ['r'], ['s']),
      ];
      const outputs = ['p', 'i', 's'];
      const plain = model(nodes, inputs, outputs);
      const blocked = blockedConvs(plain, block).graph!.node;
      const pools = blocked.filter((n) => n.op_type === 'MaxPool');
      expect(pools.length).toBeGreaterThan(0);
      expect(pools.every((n) => n.domain === NCHWC_DOMAIN)).toBe(true);
      // nothing reads the Conv's output in the plain layout any more
      expect(blocked.filter((n) => n.op_type === 'ReorderOutput').map((n) => n.output[0])).not.toContain('r');

      const levels = uniform(N * 16 * h * w, h).map((v) => Math.round(v * 2) / 2);
      const feeds = {
        x: new ort.Tensor('float32', Float32Array.from(levels), [N, 16, h, w]),
        eye: new ort.Tensor('float32', Float32Array.from(eye), [16, 16, 1, 1]),
      };
      const got = await runBlocked(plain, block, feeds, outputs);
      const want = await run(plain, feeds);
      for (const o of outputs) {
        expect(got[o].dims, o).toEqual(want[o].dims);
        expect(Array.from(got[o].data as ArrayLike<unknown>), o).toEqual(
          Array.from(want[o].data as ArrayLike<unknown>),
        );
      }
      // the inputs did tie: some window holds its maximum more than once
      const x = feeds.x.data as Float32Array;
      const p = want.p.data as Float32Array;
      let tied = 0;
      for (let k = 0; k < p.length; k++) {
        const [plane, pos] = [
          Math.floor(k / (Math.floor(h / 2) * Math.floor(w / 2))),
          k % (Math.floor(h / 2) * Math.floor(w / 2)),
        ];
        const [i, j] = [Math.floor(pos / Math.floor(w / 2)), pos % Math.floor(w / 2)];
        const at = (di: number, dj: number) => Math.max(0, x[plane * h * w + (2 * i + di) * w + 2 * j + dj]);
        if ([at(0, 0), at(0, 1), at(1, 0), at(1, 1)].filter((v) => v === p[k]).length > 1) tied++;
      }
      expect(tied).toBeGreaterThan(p.length / 4);
    }
  },
);

test.skipIf(!x64)(
  'element-wise ops of blocked tensors run on them; one that broadcasts, or reads a plain tensor, stays plain',
  async () => {
    const block = await nchwcBlockSize();
    const inputs: [string, number[]][] = [
      ['x', [N, 16, 6, 6]],
      ['v', [N, 16, 6, 6]],
      ['w1', [16, 16, 3, 3]],
      ['w2', [16, 16, 3, 3]],
      ['w3', [16, 16, 6, 6]],
    ];
    const pads = { pads: [1, 1, 1, 1] };
    const nodes = [
      node('Conv', ['x', 'w1'], ['a'], pads),
      node('Conv', ['x', 'w2'], ['b'], pads),
      node('Conv', ['x', 'w3'], ['s'], {}), // [N, 16, 1, 1]
      node('Add', ['a', 'b'], ['sum']),
      node('Greater', ['b', 'zero'], ['pos']),
      node('Cast', ['pos'], ['mask'], { to: DataType.FLOAT }),
      node('Mul', ['sum', 'mask'], ['masked']),
      node('Mul', ['masked', 'half'], ['scaled']),
      node('Sum', ['scaled', 'a', 'b'], ['total']),
      node('Conv', ['total', 'w1'], ['next'], pads),
      node('Transpose', ['total'], ['last'], { perm: [0, 2, 3, 1] }),
      node('Mul', ['a', 's'], ['excited']), // broadcast over H, W: not in the blocked order
      node('Add', ['a', 'v'], ['mixed']), // v is plain
    ];
    const outputs = ['pos', 'mask', 'scaled', 'next', 'last', 'excited', 'mixed'];
    const plain = model(nodes, inputs, outputs, [
      tensorProto('zero', DataType.FLOAT, [], [0]),
      tensorProto('half', DataType.FLOAT, [], [0.5]),
    ]);
    const blocked = blockedConvs(plain, block).graph!.node;
    const producer = (t: string) => blocked.find((n) => n.output.includes(t))!;
    for (const t of ['mask', 'scaled']) expect(producer(t).op_type, t).toBe('ReorderOutput');
    expect(producer('pos').op_type).toBe('Greater'); // bool: computed plain as it was
    expect(producer('last').attribute.find((a) => a.name === 'channels_last')?.i).toBe(1);
    expect(producer('excited').op_type).toBe('Mul');
    expect(producer('mixed').op_type).toBe('Add');
    // the last Conv reads the blocked sum: the only ReorderInputs left are x's (one per Conv)
    expect(new Set(blocked.filter((n) => n.op_type === 'ReorderInput').map((n) => n.input[0]))).toEqual(new Set(['x']));

    const feeds = feedsOf(inputs, 21);
    const got = await runBlocked(plain, block, feeds, outputs);
    const want = await run(plain, feeds);
    expectClose(
      got,
      want,
      outputs.filter((o) => o !== 'pos'),
    );
    expect(Array.from(got.pos.data as Uint8Array)).toEqual(Array.from(want.pos.data as Uint8Array));
  },
);
