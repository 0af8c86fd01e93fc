// Layer discovery and model info against expected.json, which scripts/make-onnx-fixtures.py reads off
// the PyTorch modules (kinds, out channels/features, params, FLOPs by forward hooks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { create, DataType, float32Tensor, loadModel, node } from '../../../src/main/engine/onnx/index.js';
import { discoverLayers, modelInfo } from '../../../src/main/engine/units/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));

describe.each(['cnn', 'vit', 'tvvit'])('%s', (name) => {
  it.each([13, 17])('opset %i: prunable layers in forward order with kind, units, params, block', async (opset) => {
    const layers = discoverLayers(await loadModel(join(FIX, `${name}-opset${opset}.onnx`)));
    const got = layers
      .filter((l) => l.prunable)
      .map((l) => ({
        kind: l.kind,
        units: l.units,
        params: l.params,
        ...(l.block === undefined ? {} : { block: l.block }),
      }));
    expect(got).toEqual(expected[name].layers);
  });

  it('model info: params, FLOPs, input and output', async () => {
    const info = modelInfo(await loadModel(join(FIX, `${name}-opset17.onnx`)));
    expect(info.params).toBe(expected[name].params);
    expect(info.flops).toBe(expected[name].flops);
    expect(info.input).toEqual({ name: 'input', shape: expected[name].input, type: 'float' });
    expect(info.output.shape).toEqual(expected[name].output);
    expect(info.opset).toBe(17);
  });
});

describe('activation chain on a hand-made graph', () => {
  // Conv(4 -> 6) -> BatchNormalization -> SiLU (Sigmoid, Mul) -> Flatten -> MatMul(6*2*2 -> 5) -> Add(bias) -> LeakyRelu
  const f = (name: string, dims: number[]) =>
    float32Tensor(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));
  const g = create('GraphProto', {
    node: [
      node('Conv', ['x', 'w', 'b'], ['c'], 'conv'),
      node('BatchNormalization', ['c', 's', 'o', 'm', 'v'], ['bn'], 'bn'),
      node('Sigmoid', ['bn'], ['sig'], 'sig'),
      node('Mul', ['bn', 'sig'], ['silu'], 'silu'),
      node('Flatten', ['silu'], ['flat'], 'flat'),
      node('MatMul', ['flat', 'w2'], ['mm'], 'fc'),
      node('Add', ['mm', 'b2'], ['fcb'], 'fc_bias'),
      node('LeakyRelu', ['fcb'], ['y'], 'act'),
    ],
    initializer: [
      f('w', [6, 4, 3, 3]),
      f('b', [6]),
      f('s', [6]),
      f('o', [6]),
      f('m', [6]),
      f('v', [6]),
      f('w2', [24, 5]),
      f('b2', [5]),
    ],
    input: [
      create('ValueInfoProto', {
        name: 'x',
        type: create('TypeProto', {
          tensor_type: {
            elem_type: DataType.FLOAT,
            shape: { dim: [{ dim_param: 'n' }, { dim_value: 4 }, { dim_value: 4 }, { dim_value: 4 }] },
          },
        }),
      }),
    ],
    output: [create('ValueInfoProto', { name: 'y' })],
  });
  const proto = create('ModelProto', {
    ir_version: 8,
    graph: g,
    opset_import: [create('OperatorSetIdProto', { version: 17 })],
  });

  it('runs through BatchNormalization and the SiLU pattern; a MatMul layer owns the bias Add after it', () => {
    const rows = discoverLayers({ proto }).map((l) => [l.name, l.kind, l.units, l.params, l.tensor]);
    expect(rows).toEqual([
      ['conv', 'conv', 6, 6 * 4 * 9 + 6, 'silu'],
      ['fc', 'linear', 5, 24 * 5 + 5, 'y'],
    ]);
  });
});

describe('activation tensors and extra rows', () => {
  it('CNN: after ReLU / ReLU6, pre-residual for the conv feeding an add; adds and pools as extra rows', async () => {
    const layers = discoverLayers(await loadModel(join(FIX, 'cnn-opset13.onnx')));
    expect(layers.map((l) => [l.name, l.kind, l.tensor, l.units])).toEqual([
      ['/stem/Conv', 'conv', '/Relu_output_0', 8],
      ['/pool/MaxPool', 'pool', '/pool/MaxPool_output_0', 8],
      ['/block/conv1/Conv', 'conv', '/block/Relu_output_0', 8],
      ['/block/conv2/Conv', 'conv', '/block/conv2/Conv_output_0', 8],
      ['/block/Add', 'residual-add', '/block/Relu_1_output_0', 8],
      ['/expand/Conv', 'conv', '/Relu_1_output_0', 12],
      ['/dw/Conv', 'depthwise-conv', '/Clip_output_0', 12],
      ['/GlobalAveragePool', 'pool', '/GlobalAveragePool_output_0', 12],
      ['/fc/Gemm', 'linear', 'output', 10],
    ]);
  });

  it('torchvision ViT: the output projection (a Gemm on [T*B, C]) is read where the batch is back in front', async () => {
    const layers = discoverLayers(await loadModel(join(FIX, 'tvvit-opset17.onnx')));
    const out = layers.find((l) => l.name === '/encoder/layers/encoder_layer_1/self_attention/Gemm')!;
    expect(out.tensor).toBe('/encoder/layers/encoder_layer_1/self_attention/Transpose_5_output_0');
    expect(layers.filter((l) => l.kind === 'sublayer-output').map((l) => [l.block, l.sublayer])).toEqual([
      [0, 'attention'],
      [0, 'mlp'],
      [1, 'attention'],
      [1, 'mlp'],
    ]);
  });

  it('ViT: bias add for projections, the decomposed Gelu for fc1, sublayer outputs per block', async () => {
    const layers = discoverLayers(await loadModel(join(FIX, 'vit-opset13.onnx')));
    const row = (n: string) => layers.find((l) => l.name === n)!;
    expect(row('/blocks.0/attn/qkv/MatMul').tensor).toBe('/blocks.0/attn/qkv/Add_output_0');
    expect(row('/blocks.1/fc1/MatMul').tensor).toBe('/blocks.1/Mul_1_output_0');
    const extra = layers.filter((l) => !l.prunable).map((l) => [l.name, l.kind, l.block, l.sublayer, l.units]);
    expect(extra).toEqual([
      ['/blocks.0/Add', 'sublayer-output', 0, 'attention', 16],
      ['/blocks.0/Add_2', 'sublayer-output', 0, 'mlp', 16],
      ['/blocks.1/Add', 'sublayer-output', 1, 'attention', 16],
      ['/blocks.1/Add_2', 'sublayer-output', 1, 'mlp', 16],
    ]);
  });
});
