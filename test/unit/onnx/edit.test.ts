// Graph edits, checked by running the edited graphs in onnxruntime against hand computations.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  addOutputs,
  create,
  DataType,
  decodeModel,
  encodeModel,
  float32Tensor,
  opsetVersion,
  removeNodes,
  removeUnused,
  rewire,
  setMetadata,
  setOpset,
  sliceInitializer,
  tensorToFloat32,
  type ModelProto,
} from '../../../src/main/engine/onnx/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const load = (name: string) => decodeModel(readFileSync(join(FIX, `${name}.onnx`)));

/** A deterministic input in [-1, 1). */
function image(n: number): Float32Array {
  return Float32Array.from({ length: n * 3 * 16 * 16 }, (_, i) => ((i * 7919) % 2000) / 1000 - 1);
}

async function run(proto: ModelProto, batch = 2): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(encodeModel(proto));
  const out = await s.run({ input: new ort.Tensor('float32', image(batch), [batch, 3, 16, 16]) });
  await s.release();
  return out;
}

/** Mean over `axes` of a row-major tensor, by loops (the independent reference for ReduceMean). */
function mean(t: ort.Tensor, keep: number[]): { dims: number[]; data: number[] } {
  const dims = t.dims.map(Number);
  const data = t.data as Float32Array;
  const outDims = keep.map((k) => dims[k]);
  const sums = new Array(outDims.reduce((a, b) => a * b, 1)).fill(0);
  const idx = new Array(dims.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let o = 0;
    for (const k of keep) o = o * dims[k] + idx[k];
    sums[o] += data[i];
    for (let d = dims.length - 1; d >= 0 && ++idx[d] === dims[d]; d--) idx[d] = 0;
  }
  const count = data.length / sums.length;
  return { dims: outDims, data: sums.map((s) => s / count) };
}

/** The graph output of the CNN fixture: its embedding [N, C] (a rank-2 tensor). */
const tokenOf = (proto: ModelProto) => proto.graph!.output[0].name;

describe('addOutputs', () => {
  const convTensor = '/block/Relu_1_output_0';
  const tokenTensor = '/blocks.0/Add_2_output_0';

  it.each([13, 18])('taps spatial means (GlobalAveragePool + Flatten) at opset %i', async (opset) => {
    const base = opset === 13 ? load('cnn-opset13') : setOpset(load('cnn-opset17'), 18);
    const tapped = addOutputs(base, [
      { tensor: convTensor, reduce: 'none' },
      { tensor: convTensor, reduce: 'spatial', name: 'm' },
    ]);
    expect(opsetVersion(tapped)).toBe(opset);
    const out = await run(tapped);
    const want = mean(out[convTensor], [0, 1]);
    expect(out.m.dims).toEqual([2, 8]);
    Array.from(out.m.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 5));
  });

  it('taps token means of a ViT sublayer output', async () => {
    const tapped = addOutputs(load('vit-opset17'), [
      { tensor: tokenTensor, reduce: 'none' },
      { tensor: tokenTensor, reduce: 'tokens' },
    ]);
    const out = await run(tapped, 3);
    const got = out[`${tokenTensor}/memlens_mean`];
    expect(got.dims).toEqual([3, 16]);
    const want = mean(out[tokenTensor], [0, 2]);
    Array.from(got.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 5));
  });

  it('takes the token mean over axis 0 of [T, B, C] activations (torchvision attention in_proj)', async () => {
    const t = '/encoder/layers/encoder_layer_0/self_attention/Add_output_0';
    const tapped = addOutputs(load('tvvit-opset17'), [
      { tensor: t, reduce: 'none' },
      { tensor: t, reduce: 'tokens', name: 'm' },
    ]);
    const out = await run(tapped, 3);
    expect(out[t].dims).toEqual([17, 3, 48]);
    expect(out.m.dims).toEqual([3, 48]);
    const want = mean(out[t], [1, 2]);
    Array.from(out.m.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 5));
  });

  it("'units' taps: a channel range, the positive part, every other non-batch axis averaged; equal taps share one mean", async () => {
    const base = load('cnn-opset13');
    const tapped = addOutputs(base, [
      { tensor: convTensor, reduce: 'none' },
      { tensor: convTensor, reduce: 'units', unitAxis: 1, units: [3, 7], rectify: true, name: 'part' },
      { tensor: convTensor, reduce: 'units', unitAxis: 1, units: [0, 8], name: 'all' },
      { tensor: convTensor, reduce: 'units', unitAxis: 1, units: [0, 8], name: 'again' },
      { tensor: tokenOf(base), reduce: 'units', unitAxis: 1, rectify: true, name: 'rows' },
    ]);
    const out = await run(tapped);
    const x = out[convTensor];
    const positive = new ort.Tensor(
      'float32',
      Float32Array.from(x.data as Float32Array, (v) => Math.max(0, v)),
      x.dims,
    );
    const pos = mean(positive, [0, 1]);
    const plain = mean(x, [0, 1]);
    expect(out.part.dims).toEqual([2, 4]);
    // row n of 'part' is channels 3..6 of sample n, rectified
    Array.from(out.part.data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(pos.data[Math.floor(i / 4) * 8 + 3 + (i % 4)], 5),
    );
    Array.from(out.all.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(plain.data[i], 5));
    expect(Array.from(out.again.data as Float32Array)).toEqual(Array.from(out.all.data as Float32Array));
    expect(
      tapped.graph!.node.filter((n) => n.op_type === 'GlobalAveragePool' && n.name.startsWith('memlens_tap')),
    ).toHaveLength(2);
    // a rank-2 tensor: nothing to average, only the positive part
    const rows = out[tokenOf(base)];
    Array.from(out.rows.data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(Math.max(0, (rows.data as Float32Array)[i]), 6),
    );
  });

  it('leaves the source untouched and rejects unknown tensors', () => {
    const src = load('cnn-opset13');
    const before = Buffer.from(encodeModel(src));
    addOutputs(src, [{ tensor: convTensor, reduce: 'spatial' }]);
    expect(Buffer.compare(Buffer.from(encodeModel(src)), before)).toBe(0);
    expect(() => addOutputs(src, [{ tensor: 'nope', reduce: 'none' }])).toThrow(/cannot tap nope/);
  });
});

describe('sliceInitializer', () => {
  // dims [2, 3, 2], values 0..11 row-major: element (a, b, c) = 6a + 2b + c.
  const t = float32Tensor(
    'w',
    [2, 3, 2],
    Float32Array.from({ length: 12 }, (_, i) => i),
  );
  it('keeps the given indices along an inner axis, in order', () => {
    const s = sliceInitializer(t, 1, [2, 0]);
    expect(s.dims).toEqual([2, 2, 2]);
    expect(Array.from(tensorToFloat32(s))).toEqual([4, 5, 0, 1, 10, 11, 6, 7]);
    expect(Array.from(tensorToFloat32(t))).toHaveLength(12);
  });
  it('slices the first axis and typed float_data', () => {
    const typed = create('TensorProto', {
      name: 'f',
      dims: [3, 2],
      data_type: DataType.FLOAT,
      float_data: [1, 2, 3, 4, 5, 6],
    });
    expect(Array.from(tensorToFloat32(sliceInitializer(typed, 0, [1])))).toEqual([3, 4]);
  });
  it('rejects out-of-range indices and axes', () => {
    expect(() => sliceInitializer(t, 1, [3])).toThrow(/index 3 out of range 0..2 on axis 1/);
    expect(() => sliceInitializer(t, 3, [0])).toThrow(/axis 3 out of range/);
  });
});

describe('rewire / removeNodes / removeUnused / setMetadata', () => {
  it('bypassing the Relu before ReLU6 changes nothing (Clip(0, 6) already cuts negatives)', async () => {
    const src = load('cnn-opset13');
    const relu = src.graph!.node.find((n) => n.name === '/Relu_2')!;
    const edited = removeUnused(removeNodes(rewire(src, relu.output[0], relu.input[0]), [relu]));
    expect(edited.graph!.node.length).toBe(src.graph!.node.length - 1);
    const [a, b] = await Promise.all([run(src), run(edited)]);
    expect(Array.from(b.output.data as Float32Array)).toEqual(Array.from(a.output.data as Float32Array));
  });

  it('rewiring a graph output keeps its name through an Identity', async () => {
    const src = load('cnn-opset13');
    const gemm = src.graph!.node.find((n) => n.op_type === 'Gemm')!;
    const edited = removeUnused(rewire(src, 'output', gemm.input[0]));
    const out = await run(edited);
    expect(out.output.dims).toEqual([2, 12]);
    expect(edited.graph!.initializer.some((t) => t.name === 'fc.weight')).toBe(false);
  });

  it('sets metadata, replacing existing keys', () => {
    const m = setMetadata(setMetadata(load('cnn-opset13'), { a: '1', b: '2' }), { b: '3' });
    const back = decodeModel(encodeModel(m));
    expect(back.metadata_props.map((e) => [e.key, e.value])).toEqual([
      ['a', '1'],
      ['b', '3'],
    ]);
  });
});
