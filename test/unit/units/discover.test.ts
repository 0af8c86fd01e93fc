// Layer discovery and model info against expected.json, which scripts/make-onnx-fixtures.py reads off
// the PyTorch modules (kinds, out channels/features, params, FLOPs by forward hooks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/main/engine/onnx/index.js';
import { discoverLayers, modelInfo } from '../../../src/main/engine/units/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));

describe.each(['cnn', 'vit', 'tvvit'])('%s', (name) => {
  it.each([13, 17])('opset %i: prunable layers in forward order with kind, units, params, block', async (opset) => {
    const layers = discoverLayers(await loadModel(join(FIX, `${name}-opset${opset}.onnx`)));
    const got = layers.filter((l) => l.prunable).map((l) => ({ kind: l.kind, units: l.units, params: l.params, ...(l.block === undefined ? {} : { block: l.block }) }));
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
      [0, 'attention'], [0, 'mlp'], [1, 'attention'], [1, 'mlp'],
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
