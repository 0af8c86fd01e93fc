// Where each layer's units are read under the rate and raw policies (docs/UNITS.md), on hand-made
// graphs whose answer follows from the rules: own ReLU, residual Add then ReLU, Concat offset then
// the consumer's BN-ReLU, SiLU and Clip(-1, 1) rectified, channels-last MatMul on the last axis; and
// a layer whose output rank cannot be known gets a reason, in discovery and in UnitMem's result.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import {
  create,
  DataType,
  encodeModel,
  float32Tensor,
  int64Tensor,
  node,
  type NodeProto,
} from '../../../src/main/engine/onnx/index.js';
import { discoverLayers } from '../../../src/main/engine/units/index.js';
import { writeGray } from '../infer/tiny-models.js';

const f = (name: string, dims: number[]) =>
  float32Tensor(
    name,
    dims,
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => ((i % 7) - 3) / 5),
  );
const info = (name: string, dims: (number | string)[]) =>
  create('ValueInfoProto', {
    name,
    type: create('TypeProto', {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    }),
  });

function model(
  nodes: NodeProto[],
  initializer: ReturnType<typeof f>[],
  outputs: string[],
  input: (number | string)[] = ['N', 2, 4, 4],
) {
  const graph = create('GraphProto', {
    name: 'g',
    node: nodes,
    initializer,
    input: [info('x', input)],
    output: outputs.map((name) => create('ValueInfoProto', { name })),
  });
  return {
    proto: create('ModelProto', {
      ir_version: 8,
      graph,
      opset_import: [create('OperatorSetIdProto', { version: 17 })],
    }),
  };
}

const reads = (m: ReturnType<typeof model>) =>
  Object.fromEntries(
    discoverLayers(m)
      .filter((l) => l.prunable)
      .map((l) => [l.name, l.noUnits ?? l.read]),
  );

describe('rate and raw reads', () => {
  it('a CNN: own ReLU; residual Add then ReLU; Concat offset then BN-ReLU; SiLU and Clip(-1, 1) rectified', () => {
    // a: conv(2->3)->Relu; b: conv(3->3) -> Add(., a) -> Relu; c: conv(3->4) -> Concat(b_relu, c) -> BN -> Relu
    // d: conv(7->5) -> SiLU; e: conv(5->2) -> Clip(-1, 1)
    const bn = ['s', 'o', 'm', 'v'].map((p) => f(p, [7]));
    const m = model(
      [
        node('Conv', ['x', 'wa'], ['a'], 'a'),
        node('Relu', ['a'], ['ar'], 'ar'),
        node('Conv', ['ar', 'wb'], ['b'], 'b'),
        node('Add', ['b', 'ar'], ['sum'], 'sum'),
        node('Relu', ['sum'], ['br'], 'br'),
        node('Conv', ['br', 'wc'], ['c'], 'c'),
        node('Concat', ['br', 'c'], ['cat'], 'cat', { axis: 1 }),
        node('BatchNormalization', ['cat', 's', 'o', 'm', 'v'], ['bn'], 'bn'),
        node('Relu', ['bn'], ['bnr'], 'bnr'),
        node('Conv', ['bnr', 'wd'], ['d'], 'd'),
        node('Sigmoid', ['d'], ['sig'], 'sig'),
        node('Mul', ['d', 'sig'], ['silu'], 'silu'),
        node('Conv', ['silu', 'we'], ['e'], 'e'),
        node('Clip', ['e', 'lo', 'hi'], ['y'], 'clip'),
      ],
      [
        f('wa', [3, 2, 1, 1]),
        f('wb', [3, 3, 1, 1]),
        f('wc', [4, 3, 1, 1]),
        f('wd', [5, 7, 1, 1]),
        f('we', [2, 5, 1, 1]),
        ...bn,
        float32Tensor('lo', [], Float32Array.of(-1)),
        float32Tensor('hi', [], Float32Array.of(1)),
      ],
      ['y'],
    );
    const rate = (tensor: string, offset = 0, transform = 'none') => ({ tensor, axis: 1, offset, transform });
    expect(Object.fromEntries(Object.entries(reads(m)).map(([k, v]) => [k, (v as { rate: unknown }).rate]))).toEqual({
      a: rate('ar'),
      b: rate('br'),
      c: rate('bnr', 3),
      d: rate('silu', 0, 'relu'),
      e: rate('y', 0, 'relu'),
    });
    // raw: the end of each layer's own chain, untransformed.
    expect(Object.values(reads(m)).map((r) => (r as { raw: { tensor: string; transform: string } }).raw)).toEqual(
      ['ar', 'b', 'c', 'silu', 'y'].map((tensor) => ({ tensor, axis: 1, offset: 0, transform: 'none' })),
    );
  });

  it('Clip(0, 6) is a rate (ReLU6); a channels-last MatMul [N, H, W, C] has its units on the last axis', () => {
    // x [N,2,4,4] -> Transpose to [N,4,4,2] -> MatMul(2->6) -> Clip(0, 6)
    const m = model(
      [
        node('Transpose', ['x'], ['t'], 't'),
        node('MatMul', ['t', 'w'], ['mm'], 'fc'),
        node('Clip', ['mm', 'lo', 'hi'], ['y'], 'relu6'),
      ],
      [f('w', [2, 6]), float32Tensor('lo', [], Float32Array.of(0)), float32Tensor('hi', [], Float32Array.of(6))],
      ['y'],
    );
    m.proto.graph!.node[0].attribute.push(create('AttributeProto', { name: 'perm', type: 7, ints: [0, 2, 3, 1] }));
    const [l] = discoverLayers(m);
    expect(l.units).toBe(6);
    expect(l.read).toEqual({
      rate: { tensor: 'y', axis: 3, offset: 0, transform: 'none' },
      raw: { tensor: 'y', axis: 3, offset: 0, transform: 'none' },
    });
  });
});

describe('a layer without an identifiable unit axis', () => {
  // x [N,1,2,2] -> Flatten -> [N,4] -> Gemm(4->2) -> y1; Flatten -> CumSum (no shape rule: rank unknown) -> MatMul(4->3) -> y2
  const m = model(
    [
      node('Flatten', ['x'], ['flat'], 'flatten', { axis: 1 }),
      node('Gemm', ['flat', 'wg'], ['y1'], 'fc'),
      node('CumSum', ['flat', 'axis'], ['cs'], 'cumsum'),
      node('MatMul', ['cs', 'wm'], ['y2'], 'mm'),
    ],
    [f('wg', [4, 2]), f('wm', [4, 3]), int64Tensor('axis', [], [1])],
    ['y1', 'y2'],
    ['N', 1, 2, 2],
  );
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memlens-read-'));
    await writeFile(join(dir, 'm.onnx'), encodeModel(m.proto));
    for (const [i, px] of [
      [0, 50, 100, 150],
      [200, 10, 30, 90],
      [5, 5, 250, 120],
    ].entries())
      await writeGray(join(dir, 'data', `${i}.png`), px);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gets a one-line reason instead of reads, and UnitMem reports it with empty arrays', async () => {
    expect(reads(m)).toMatchObject({ mm: 'the rank of y2 is unknown, so its unit axis cannot be found' });
    const r = await computeUnitMem({ model: join(dir, 'm.onnx'), data: join(dir, 'data'), augment: 'none' });
    const [fc, mm] = r.layers;
    expect(fc).toMatchObject({ name: 'fc', units: 2, read: { tensor: 'y1', axis: 1, offset: 0, transform: 'relu' } });
    expect(fc.unitmem).toHaveLength(2);
    expect(mm).toMatchObject({
      name: 'mm',
      units: 3,
      unitmem: [],
      muMax: [],
      reason: 'the rank of y2 is unknown, so its unit axis cannot be found',
    });
  });

  it('the policy is a setting: raw is computed, not served from the rate cache, and reads fc unrectified', async () => {
    const req = { model: join(dir, 'm.onnx'), data: join(dir, 'data'), augment: 'none' as const };
    const rate = await computeUnitMem(req);
    const raw = await computeUnitMem({ ...req, activation: 'raw' });
    expect([rate.settings.activation, raw.settings.activation]).toEqual(['rate', 'raw']);
    expect(raw.layers[0].read).toEqual({ tensor: 'y1', axis: 1, offset: 0, transform: 'none' });
    // fc = flat @ [[-0.6, -0.4], [-0.2, 0], [0.2, 0.4], [0.6, -0.6]] on the pixels (v / 255 - 0.5) / 0.5 gives, per image,
    // unit 0: 0.7843, -0.4863, 0.9255 and unit 1: 0.2078, -0.3569, 0.8039. Raw, unit 1's rest is negative and
    // UnitMem = (0.8039 + 0.0745) / (0.8039 - 0.0745) = 1.2043; as rates (negatives -> 0): 0.4048 and 0.7711.
    expect(raw.layers[0].signed).toBe(true);
    [0.72262774, 1.20430108].forEach((v, u) => expect(raw.layers[0].unitmem[u]).toBeCloseTo(v, 5));
    [0.4047619, 0.77105832].forEach((v, u) => expect(rate.layers[0].unitmem[u]).toBeCloseTo(v, 5));
  });
});
