// GraphIndex lookups on the CNN fixture (names read off the torch export) and on hand-made graphs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  copyMessage,
  create,
  decodeModel,
  indexModel,
  node,
  type ModelProto,
} from '../../../src/main/engine/onnx/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const cnn = () => decodeModel(readFileSync(join(FIX, 'cnn-opset13.onnx')));

/** A model whose graph is `nodes` (in the given order) with input x and output y. */
function graph(nodes: ReturnType<typeof node>[]): ModelProto {
  const g = create('GraphProto', {
    node: nodes,
    input: [create('ValueInfoProto', { name: 'x' })],
    output: [create('ValueInfoProto', { name: 'y' })],
  });
  return create('ModelProto', {
    ir_version: 8,
    graph: g,
    opset_import: [create('OperatorSetIdProto', { version: 17 })],
  });
}

describe('GraphIndex', () => {
  it('producers, consumers, initializers and constants of the CNN', () => {
    const index = indexModel(cnn());
    expect(index.producer('/pool/MaxPool_output_0')?.name).toBe('/pool/MaxPool');
    // The max-pool output feeds conv1 and, as the identity branch, the residual Add.
    expect(index.consumers('/pool/MaxPool_output_0').map((n) => n.name)).toEqual(['/block/conv1/Conv', '/block/Add']);
    expect(index.producer('input')).toBeUndefined();
    expect(index.initializer('fc.weight')?.dims).toEqual([10, 12]);
    expect(index.isConstant('fc.weight')).toBe(true);
    expect(index.isConstant('/Constant_output_0')).toBe(true);
    expect(index.isConstant('/Relu_output_0')).toBe(false);
    expect(index.inputs().map((v) => v.name)).toEqual(['input']);
    expect(index.opset).toBe(13);
  });

  it('keeps a sorted graph in file order and sorts an unsorted one', () => {
    const a = node('Relu', ['x'], ['a'], 'A');
    const b = node('Neg', ['a'], ['b'], 'B');
    const c = node('Add', ['a', 'b'], ['y'], 'C');
    expect(
      indexModel(graph([a, b, c]))
        .topologicalOrder()
        .map((n) => n.name),
    ).toEqual(['A', 'B', 'C']);
    expect(
      indexModel(graph([c, b, a]))
        .topologicalOrder()
        .map((n) => n.name),
    ).toEqual(['A', 'B', 'C']);
  });

  it('reports a cycle as a bad model', () => {
    const p = graph([node('Relu', ['y'], ['a'], 'A'), node('Neg', ['a'], ['y'], 'B')]);
    expect(() => indexModel(p).topologicalOrder()).toThrow(/cycle/);
  });

  it('reads Constant nodes given as value_ints', () => {
    const p = cnn();
    const k = node('Constant', [], ['k'], 'K');
    k.attribute.push(create('AttributeProto', { name: 'value_ints', type: 7, ints: [2, -1] }));
    const withK = copyMessage(p, { graph: copyMessage(p.graph!, { node: [k, ...p.graph!.node] }) });
    const t = indexModel(withK).constantTensor('k')!;
    expect([t.dims, Array.from(new BigInt64Array(t.raw_data.buffer, t.raw_data.byteOffset, 2))]).toEqual([
      [2],
      [2n, -1n],
    ]);
  });
});
