// The reverse-mode walk: which tensors get gradients, and the errors for graphs it cannot differentiate.
import { describe, expect, test } from 'vitest';
import { buildBackward } from '../../../src/main/engine/finetune/backward.js';
import { Emitter } from '../../../src/main/engine/finetune/emit.js';
import { trainingOpset } from '../../../src/main/engine/finetune/gradient.js';
import { create, DataType } from '../../../src/main/engine/onnx/schema.js';
import { node } from './fd.js';

function backward(nodes: ReturnType<typeof node>[], wrt: string[]) {
  const e = new Emitter(17, DataType.FLOAT);
  const grads = buildBackward({
    nodes,
    seeds: new Map([['loss', 'one']]),
    wrt,
    e,
    shape: () => [2, 2],
    constant: () => undefined,
    threads: 1,
  });
  return { grads, ops: e.nodes.map((n) => n.op_type) };
}

describe('buildBackward', () => {
  test('an op without a rule on the path from a parameter to the loss is an error naming op and node', () => {
    const nodes = [node('MatMul', ['x', 'w'], ['h']), node('Celu', ['h'], ['c']), node('ReduceSum', ['c'], ['loss'])];
    expect(() => backward(nodes, ['w'])).toThrow(
      'no gradient rule for op Celu (node Celu_c) on the path from trainable parameter w to the loss',
    );
  });

  test('an op without a rule off the path (before the first parameter) is fine', () => {
    const nodes = [
      node('Celu', ['x'], ['c']),
      node('MatMul', ['c', 'w'], ['h']),
      node('ReduceSum', ['h'], ['loss'], { keepdims: 0 }),
    ];
    const { grads, ops } = backward(nodes, ['w']);
    expect(grads.has('w')).toBe(true);
    // d loss / d c is never built: the only MatMul is the one computing dW = c^T dH.
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(1);
  });

  test('a parameter that does not reach the loss is an error', () => {
    const nodes = [node('Relu', ['w'], ['unused']), node('ReduceSum', ['x'], ['loss'], { keepdims: 0 })];
    expect(() => backward(nodes, ['w'])).toThrow('trainable parameter w does not affect the loss');
  });

  test('a Relu read only by a MaxPool is masked by the pooled output, and passed through', () => {
    const nodes = [
      node('Relu', ['w'], ['r']),
      node('MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }),
      node('ReduceSum', ['p'], ['loss'], { keepdims: 0 }),
    ];
    const e = new Emitter(17, DataType.FLOAT);
    buildBackward({
      nodes,
      seeds: new Map([['loss', 'one']]),
      wrt: ['w'],
      e,
      shape: () => [1, 1, 4, 4],
      constant: () => undefined,
      threads: 1,
    });
    expect(e.nodes.filter((n) => n.op_type === 'Greater').map((n) => n.input[0])).toEqual(['p']);
  });

  test('a tensor with two consumers gets the sum of both contributions', () => {
    const nodes = [node('Relu', ['w'], ['a']), node('Sigmoid', ['w'], ['b']), node('Add', ['a', 'b'], ['loss'])];
    const { ops } = backward(nodes, ['w']);
    expect(ops.at(-1)).toBe('Sum');
  });
});

describe('trainingOpset', () => {
  const model = (version: number) =>
    create('ModelProto', { ir_version: 7, opset_import: [create('OperatorSetIdProto', { domain: '', version })] });
  test('opsets 13-15 are raised to 16, later ones kept', () => {
    expect(trainingOpset(model(13), 'm.onnx')).toBe(16);
    expect(trainingOpset(model(17), 'm.onnx')).toBe(17);
  });
  test('before 13 (axes as attributes) is refused with the reason', () => {
    expect(() => trainingOpset(model(11), 'm.onnx')).toThrow(
      'm.onnx: opset 11 is too old to fine-tune (need 13 or newer; re-export the model)',
    );
  });
});
