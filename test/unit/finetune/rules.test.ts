// Every backward rule against central finite differences of the same loss, both run by onnxruntime.
// float64 wherever onnxruntime's CPU kernels take doubles (step 1e-6). Conv, ConvTranspose,
// AveragePool, GlobalAveragePool, MaxUnpool, LeakyRelu, Erf and Gelu have float kernels only: those
// cases run in float32, with step 0.1 where the loss is linear in the perturbed input (a central
// difference of a linear function has no truncation error, so only float32 rounding, ~1e-7 |loss| /
// step, remains) and step 1e-2 otherwise (truncation ~ step^2 |f'''| / 6 ~ 2e-5, rounding ~1e-5;
// for MaxPool the small step keeps each window's argmax in place).
import { describe, expect, test } from 'vitest';
import { DataType } from '../../../src/main/engine/onnx/schema.js';
import { tensorProto } from '../../../src/main/engine/finetune/emit.js';
import { gradientError, node, uniform, type Case } from './fd.js';

const ints = (name: string, values: number[], dims = [values.length]) =>
  tensorProto(name, DataType.INT64, dims, values);
const f64 = (name: string, dims: number[], values: number[]) => tensorProto(name, DataType.DOUBLE, dims, values);

const f32 = (name: string, dims: number[], values: number[]) => tensorProto(name, DataType.FLOAT, dims, values);

const F32_LINEAR = { type: 'float32', step: 0.1 } as const;
const F32_SMOOTH = { type: 'float32', step: 1e-2 } as const;

const CASES: Record<string, Case> = {
  'Add (broadcast both ways)': { nodes: [node('Add', ['a', 'b'], ['y'])], inputs: { a: [2, 3, 4], b: [3, 1] } },
  'Sub (broadcast)': { nodes: [node('Sub', ['a', 'b'], ['y'])], inputs: { a: [2, 3], b: [3] } },
  'Mul (broadcast)': { nodes: [node('Mul', ['a', 'b'], ['y'])], inputs: { a: [2, 1, 4], b: [3, 1] } },
  'Div (broadcast)': { nodes: [node('Div', ['a', 'b'], ['y'])], inputs: { a: [2, 3], b: [3] }, range: [0.5, 1.5] },
  'Mul of a tensor by itself (two consumers)': { nodes: [node('Mul', ['a', 'a'], ['y'])], inputs: { a: [5] } },
  Neg: { nodes: [node('Neg', ['a'], ['y'])], inputs: { a: [4] } },
  Sqrt: { nodes: [node('Sqrt', ['a'], ['y'])], inputs: { a: [6] }, range: [0.5, 2] },
  'Pow (constant exponent)': {
    nodes: [node('Pow', ['a', 'p'], ['y'])],
    inputs: { a: [6] },
    constants: [f64('p', [], [3])],
    range: [0.5, 2],
  },
  Relu: { nodes: [node('Relu', ['a'], ['y'])], inputs: { a: [3, 5] } },
  LeakyRelu: {
    nodes: [node('LeakyRelu', ['a'], ['y'], { alpha: { float: 0.2 } })],
    inputs: { a: [3, 5] },
    ...F32_SMOOTH,
  },
  Sigmoid: { nodes: [node('Sigmoid', ['a'], ['y'])], inputs: { a: [3, 5] } },
  Tanh: { nodes: [node('Tanh', ['a'], ['y'])], inputs: { a: [3, 5] } },
  Exp: { nodes: [node('Exp', ['a'], ['y'])], inputs: { a: [3, 5] } },
  Erf: { nodes: [node('Erf', ['a'], ['y'])], inputs: { a: [3, 5] }, ...F32_SMOOTH },
  'Gelu (exact)': { nodes: [node('Gelu', ['a'], ['y'])], inputs: { a: [3, 5] }, opset: 20, ...F32_SMOOTH },
  'Gelu (tanh)': {
    nodes: [node('Gelu', ['a'], ['y'], { approximate: 'tanh' })],
    inputs: { a: [3, 5] },
    opset: 20,
    ...F32_SMOOTH,
  },
  'Gemm (plain, C broadcast)': {
    nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { alpha: { float: 0.7 }, beta: { float: 1.3 } })],
    inputs: { a: [3, 4], b: [4, 5], c: [5] },
  },
  'Gemm (transA)': {
    nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transA: 1 })],
    inputs: { a: [4, 3], b: [4, 5], c: [3, 5] },
  },
  'Gemm (transB)': {
    nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transB: 1, alpha: { float: 2 } })],
    inputs: { a: [3, 4], b: [5, 4], c: [1, 5] },
  },
  'Gemm (transA, transB)': {
    nodes: [node('Gemm', ['a', 'b'], ['y'], { transA: 1, transB: 1 })],
    inputs: { a: [4, 3], b: [5, 4] },
  },
  'MatMul (batched x 2-D weight)': { nodes: [node('MatMul', ['a', 'b'], ['y'])], inputs: { a: [2, 3, 4], b: [4, 5] } },
  'MatMul (broadcast batch axes)': {
    nodes: [node('MatMul', ['a', 'b'], ['y'])],
    inputs: { a: [2, 1, 3, 4], b: [3, 4, 2] },
  },
  'Conv (3x3, pad 1, bias)': {
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
    inputs: { x: [2, 3, 5, 5], w: [4, 3, 3, 3], b: [4] },
    ...F32_LINEAR,
  },
  'Conv (stride 2 on even input, asymmetric pads)': {
    nodes: [node('Conv', ['x', 'w'], ['y'], { strides: [2, 2], pads: [1, 0, 0, 1] })],
    inputs: { x: [2, 2, 6, 6], w: [3, 2, 3, 3] },
    ...F32_LINEAR,
  },
  'Conv (dilation 2, stride 2)': {
    nodes: [node('Conv', ['x', 'w'], ['y'], { dilations: [2, 2], strides: [2, 1] })],
    inputs: { x: [1, 2, 7, 6], w: [2, 2, 2, 2] },
    ...F32_LINEAR,
  },
  'Conv (stride 1, dilation 2, asymmetric pads: the flipped-kernel path)': {
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { dilations: [2, 1], pads: [2, 0, 1, 2] })],
    inputs: { x: [2, 2, 6, 5], w: [3, 2, 3, 2], b: [3] },
    ...F32_LINEAR,
  },
  'Conv (1x1, bias: the window is the whole input)': {
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'])],
    inputs: { x: [2, 3, 3, 4], w: [5, 3, 1, 1], b: [5] },
    ...F32_LINEAR,
  },
  'Conv (1x1, stride 2)': {
    nodes: [node('Conv', ['x', 'w'], ['y'], { strides: [2, 2] })],
    inputs: { x: [2, 3, 5, 4], w: [2, 3, 1, 1] },
    ...F32_LINEAR,
  },
  'Conv (1-D, stride 2, pads 1/2)': {
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { strides: [2], pads: [1, 2] })],
    inputs: { x: [2, 3, 9], w: [4, 3, 3], b: [4] },
    ...F32_LINEAR,
  },
  'Conv (3-D, 2x3x2 kernel, pad 1 on the middle axis)': {
    nodes: [node('Conv', ['x', 'w'], ['y'], { pads: [0, 1, 0, 0, 1, 0] })],
    inputs: { x: [2, 2, 3, 4, 3], w: [3, 2, 2, 3, 2] },
    ...F32_LINEAR,
  },
  'Conv (groups 2)': {
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { group: 2, pads: [1, 1, 1, 1] })],
    inputs: { x: [2, 4, 4, 4], w: [6, 2, 3, 3], b: [6] },
    ...F32_LINEAR,
  },
  'Conv (depthwise, SAME_UPPER, stride 2)': {
    nodes: [node('Conv', ['x', 'w'], ['y'], { group: 3, auto_pad: 'SAME_UPPER', strides: [2, 2] })],
    inputs: { x: [2, 3, 5, 5], w: [3, 1, 2, 2] },
    ...F32_LINEAR,
  },
  'MaxPool (3x3 stride 2, overlapping, padded)': {
    nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
    inputs: { x: [2, 2, 5, 5] },
  },
  'MaxPool in an opset-13 model (the training graph is raised to 16 for ScatterElements add)': {
    nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [1, 1] })],
    inputs: { x: [1, 2, 4, 4] },
    opset: 13,
  },
  // Non-overlapping windows take the MaxUnpool path, which onnxruntime has for float only.
  'MaxPool (2x2 stride 2)': {
    nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] })],
    inputs: { x: [2, 3, 4, 4] },
    ...F32_SMOOTH,
  },
  // A Relu only a MaxPool reads has its mask applied to the pooled gradient (grad/relu-pool.ts). The
  // inputs in [-1.4, 0.6) leave 9 of the 24 windows all negative (no gradient) and none within a step
  // of a kink.
  'Relu then MaxPool (2x2 stride 2: the mask on the pooled gradient)': {
    nodes: [node('Relu', ['x'], ['r']), node('MaxPool', ['r'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] })],
    inputs: { x: [2, 3, 4, 4] },
    range: [-1.4, 0.6],
    ...F32_SMOOTH,
  },
  'Relu then MaxPool (3x3 stride 2, overlapping, padded)': {
    nodes: [
      node('Relu', ['x'], ['r']),
      node('MaxPool', ['r'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    ],
    inputs: { x: [2, 2, 5, 5] },
  },
  // A Conv's bias gradient behind a MaxPool sums the pooled gradient (emit.ts channelSums). Moving
  // a bias moves its whole channel, so the argmaxes stay and the loss is linear in it.
  'Conv bias behind a MaxPool (2x2 stride 2: MaxUnpool)': {
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], { pads: [1, 1, 1, 1] }),
      node('MaxPool', ['c'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] }),
    ],
    inputs: { b: [4] },
    constants: [f32('x', [2, 3, 6, 6], uniform(216, 21)), f32('w', [4, 3, 3, 3], uniform(108, 22))],
    ...F32_LINEAR,
  },
  'Conv bias behind a MaxPool (3x3 stride 2, overlapping: the scatter)': {
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], { pads: [1, 1, 1, 1] }),
      node('MaxPool', ['c'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    ],
    inputs: { b: [4] },
    constants: [f32('x', [2, 3, 7, 7], uniform(294, 23)), f32('w', [4, 3, 3, 3], uniform(108, 24))],
    ...F32_LINEAR,
  },
  'Relu read by a MaxPool and a Mul (the mask stays on the full gradient)': {
    nodes: [
      node('Relu', ['x'], ['r']),
      node('MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }),
      node('Mul', ['r', 'r'], ['q']),
      node('ReduceSum', ['q'], ['s'], { keepdims: 1 }),
      node('Add', ['p', 's'], ['y']),
    ],
    inputs: { x: [2, 3, 4, 4] },
    ...F32_SMOOTH,
  },
  'AveragePool (padded, count_include_pad 0)': {
    nodes: [node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
    inputs: { x: [2, 2, 5, 5] },
    ...F32_LINEAR,
  },
  'AveragePool (padded, count_include_pad 1)': {
    nodes: [node('AveragePool', ['x'], ['y'], { kernel_shape: [2, 3], pads: [1, 0, 0, 1], count_include_pad: 1 })],
    inputs: { x: [1, 2, 4, 5] },
    ...F32_LINEAR,
  },
  GlobalAveragePool: { nodes: [node('GlobalAveragePool', ['x'], ['y'])], inputs: { x: [2, 3, 3, 4] }, ...F32_LINEAR },
  'ReduceMean (axes attribute, keepdims 0)': {
    nodes: [node('ReduceMean', ['x'], ['y'], { axes: [1, -1], keepdims: 0 })],
    inputs: { x: [2, 3, 4] },
  },
  'ReduceMean (axes input, opset 18)': {
    nodes: [node('ReduceMean', ['x', 'axes'], ['y'])],
    inputs: { x: [2, 3, 4] },
    constants: [ints('axes', [0, 2])],
    opset: 18,
  },
  'ReduceSum (all axes)': { nodes: [node('ReduceSum', ['x'], ['y'], { keepdims: 0 })], inputs: { x: [2, 3] } },
  'Softmax (axis 1)': { nodes: [node('Softmax', ['x'], ['y'], { axis: 1 })], inputs: { x: [2, 4, 3] } },
  LogSoftmax: { nodes: [node('LogSoftmax', ['x'], ['y'])], inputs: { x: [3, 5] } },
  Flatten: {
    nodes: [node('Flatten', ['x'], ['f'], { axis: 1 }), node('Mul', ['f', 'f'], ['y'])],
    inputs: { x: [2, 3, 2] },
  },
  Reshape: {
    nodes: [node('Reshape', ['x', 's'], ['r']), node('Mul', ['r', 'r'], ['y'])],
    inputs: { x: [2, 6] },
    constants: [ints('s', [3, -1])],
  },
  'Squeeze and Unsqueeze': {
    nodes: [node('Unsqueeze', ['x', 'ax'], ['u']), node('Squeeze', ['u', 'ax'], ['s']), node('Mul', ['s', 's'], ['y'])],
    inputs: { x: [2, 3] },
    constants: [ints('ax', [1])],
  },
  Transpose: {
    nodes: [node('Transpose', ['x'], ['t'], { perm: [2, 0, 1] }), node('Mul', ['t', 't'], ['y'])],
    inputs: { x: [2, 3, 4] },
  },
  'Concat (axis 1)': {
    nodes: [node('Concat', ['a', 'b'], ['y'], { axis: 1 })],
    inputs: { a: [2, 2, 3], b: [2, 4, 3] },
  },
  'Split (unequal, reordered by Concat)': {
    nodes: [
      node('Split', ['x', 'sizes'], ['p', 'q'], { axis: -1 }),
      node('Concat', ['q', 'p'], ['c'], { axis: -1 }),
      node('Mul', ['c', 'x'], ['y']),
    ],
    inputs: { x: [2, 5] },
    constants: [ints('sizes', [2, 3])],
  },
  'Split (one output unused)': {
    nodes: [node('Split', ['x', 'sizes'], ['p', 'q'], { axis: 0 }), node('Mul', ['p', 'p'], ['y'])],
    inputs: { x: [4, 3] },
    constants: [ints('sizes', [1, 3])],
  },
  'Slice (steps 2 and -1, two axes)': {
    nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['s']), node('Mul', ['s', 's'], ['y'])],
    inputs: { x: [3, 7, 4] },
    constants: [ints('st', [1, -1]), ints('en', [100, 0]), ints('ax', [1, 2]), ints('sp', [2, -1])],
  },
  'Gather (constant indices with a repeat)': {
    nodes: [node('Gather', ['x', 'idx'], ['g'], { axis: 1 }), node('Mul', ['g', 'g'], ['y'])],
    inputs: { x: [2, 4, 3] },
    constants: [ints('idx', [3, 0, -1, 1], [2, 2])],
  },
  'Gather (scalar index, the ViT class token)': {
    nodes: [node('Gather', ['x', 'idx'], ['y'], { axis: 1 })],
    inputs: { x: [2, 4, 3] },
    constants: [ints('idx', [0], [])],
  },
  'Expand (class token over the batch)': {
    nodes: [node('Expand', ['x', 'shape'], ['e']), node('Mul', ['e', 'e'], ['y'])],
    inputs: { x: [1, 1, 3] },
    constants: [ints('shape', [2, 4, 1])],
  },
  'BatchNormalization (inference form)': {
    nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { epsilon: { float: 1e-3 } })],
    inputs: { x: [2, 3, 2, 2], scale: [3], bias: [3] },
    constants: [f64('mean', [3], uniform(3, 5)), f64('var', [3], uniform(3, 6, 0.5, 2))],
  },
  LayerNormalization: {
    nodes: [node('LayerNormalization', ['x', 'scale', 'bias'], ['y'], { axis: -1 })],
    inputs: { x: [2, 3, 6], scale: [6], bias: [6] },
  },
  'LayerNormalization (two normalized axes)': {
    nodes: [node('LayerNormalization', ['x', 'scale', 'bias'], ['y'], { axis: 1 })],
    inputs: { x: [2, 3, 4], scale: [3, 4], bias: [4] },
  },
};

describe('backward rules vs central finite differences', () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(name, async () => {
      const errors = await gradientError(c);
      for (const [input, err] of Object.entries(errors)) expect(err, `d loss / d ${input}`).toBeLessThan(1e-3);
    });
  }
});
