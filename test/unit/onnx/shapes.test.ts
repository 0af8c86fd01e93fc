// Static shape inference against the shapes onnxruntime actually produces for every tensor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  addOutputs,
  AttributeType,
  create,
  DataType,
  decodeModel,
  encodeModel,
  float32Tensor,
  indexModel,
  int64Tensor,
  node,
  setOpset,
} from '../../../src/main/engine/onnx/index.js';
import { divDims, mulDims } from '../../../src/main/engine/onnx/dims.js';
import { floatInput } from '../../../src/main/engine/finetune/emit.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');

describe('inferShapes', () => {
  it.each(['cnn-opset13', 'cnn-opset17', 'vit-opset13', 'vit-opset17', 'tvvit-opset13', 'tvvit-opset17'])(
    '%s: every node output, as onnxruntime runs it',
    async (name) => {
      const proto = decodeModel(readFileSync(join(FIX, `${name}.onnx`)));
      const index = indexModel(proto);
      const tensors = proto.graph!.node.flatMap((n) => n.output).filter((t) => t !== 'output');
      const s = await ort.InferenceSession.create(
        encodeModel(
          addOutputs(
            proto,
            tensors.map((tensor) => ({ tensor, reduce: 'none' as const })),
          ),
        ),
      );
      const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 3 * 16 * 16), [3, 3, 16, 16]) });
      let known = 0;
      for (const t of [...tensors, 'output']) {
        const inferred = index.shape(t);
        if (!inferred) continue;
        known++;
        // The symbolic batch dim (and products with it) evaluated at batch = 3.
        const concrete = inferred.map((d) => (typeof d === 'number' ? d : eval(String(d).replace(/batch/g, '3'))));
        expect([t, concrete]).toEqual([t, out[t].dims.map(Number)]);
      }
      // torch exports: everything is inferred, shape subgraphs included.
      expect(known).toBe(tensors.length + 1);
      await s.release();
    },
  );

  it('Pad, ConvTranspose, Tile and Resize on a hand-made graph, as onnxruntime runs it', async () => {
    const ints = (name: string, v: number[]) => int64Tensor(name, [v.length], v);
    const w = float32Tensor('w', [2, 3, 3, 3], new Float32Array(54).fill(0.1));
    const ct = node('ConvTranspose', ['p', 'w'], ['ct'], 'ct');
    ct.attribute.push(
      create('AttributeProto', { name: 'strides', type: AttributeType.INTS, ints: [2, 2] }),
      create('AttributeProto', { name: 'pads', type: AttributeType.INTS, ints: [1, 1, 1, 1] }),
      create('AttributeProto', { name: 'output_padding', type: AttributeType.INTS, ints: [1, 1] }),
    );
    const g = create('GraphProto', {
      name: 'g',
      node: [
        node('Pad', ['x', 'pads'], ['p'], 'pad'),
        ct,
        node('Tile', ['ct', 'reps'], ['t'], 'tile'),
        node('Resize', ['t', '', 'scales'], ['y'], 'resize'),
      ],
      initializer: [
        ints('pads', [0, 0, 1, 2, 0, 0, 3, 4]),
        w,
        ints('reps', [1, 2, 1, 1]),
        float32Tensor('scales', [4], Float32Array.from([1, 1, 0.5, 2])),
      ],
      input: [
        create('ValueInfoProto', {
          name: 'x',
          type: create('TypeProto', {
            tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [1, 2, 5, 5].map((d) => ({ dim_value: d })) } },
          }),
        }),
      ],
      output: ['p', 'ct', 't', 'y'].map((name) => create('ValueInfoProto', { name })),
    });
    const proto = create('ModelProto', {
      ir_version: 8,
      graph: g,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    });
    const s = await ort.InferenceSession.create(encodeModel(proto));
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(50), [1, 2, 5, 5]) });
    const index = indexModel(proto);
    // By hand: x [1, 2, 5, 5] padded by (1, 3) on H and (2, 4) on W.
    expect(index.shape('p')).toEqual([1, 2, 9, 11]);
    for (const t of ['p', 'ct', 't', 'y']) expect([t, index.shape(t)]).toEqual([t, out[t].dims.map(Number)]);
    await s.release();
  });

  it("MaxUnpool takes its output_shape input's value: an odd input's shape, batch symbolic", async () => {
    const pool = node('MaxPool', ['x'], ['p', 'i'], 'pool');
    const unpool = node('MaxUnpool', ['p', 'i', 's'], ['u'], 'unpool');
    for (const n of [pool, unpool])
      n.attribute.push(
        create('AttributeProto', { name: 'kernel_shape', type: AttributeType.INTS, ints: [2, 2] }),
        create('AttributeProto', { name: 'strides', type: AttributeType.INTS, ints: [2, 2] }),
      );
    const g = create('GraphProto', {
      name: 'g',
      node: [pool, node('Shape', ['x'], ['s'], 'shape'), unpool],
      input: [floatInput('x', ['batch', 2, 7, 5])],
      output: [create('ValueInfoProto', { name: 'u' })],
    });
    const proto = create('ModelProto', {
      ir_version: 8,
      graph: g,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    });
    expect(indexModel(proto).shape('u')).toEqual(['batch', 2, 7, 5]);
    const s = await ort.InferenceSession.create(encodeModel(proto));
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(3 * 70), [3, 2, 7, 5]) });
    expect(out.u.dims).toEqual([3, 2, 7, 5]);
    await s.release();
  });

  it('reads axes from the input at opset 18 (ReduceMean taps)', () => {
    const proto = addOutputs(setOpset(decodeModel(readFileSync(join(FIX, 'cnn-opset17.onnx'))), 18), [
      { tensor: '/block/Relu_1_output_0', reduce: 'spatial', name: 'tap' },
    ]);
    expect(indexModel(proto).shape('tap')).toEqual(['batch', 8]);
  });

  it('substitutes input shapes given by the caller', () => {
    const index = indexModel(decodeModel(readFileSync(join(FIX, 'vit-opset13.onnx'))), { input: [5, 3, 16, 16] });
    expect(index.shape('/Add_output_0')).toEqual([5, 17, 16]);
  });
});

describe('symbolic dims', () => {
  it('multiplies and divides with cancellation', () => {
    expect(mulDims(['batch', 4, 4])).toBe('16*batch');
    expect(divDims('16*batch', 'batch')).toBe(16);
    expect(divDims('16*batch', 4)).toBe('4*batch');
    expect(divDims(16, 'batch')).toBeUndefined();
    expect(divDims(10, 4)).toBeUndefined();
  });
});
