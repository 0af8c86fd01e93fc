// A tiny CNN and a tiny labelled IDX set (class 0: dark, class 1: bright, both noisy: a difference
// that survives crops, flips and global average pooling)
// written to a temp folder, for end-to-end runs of the fine-tuning job in seconds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensorProto } from '../../../src/main/engine/finetune/emit.js';
import { encodeModel } from '../../../src/main/engine/onnx/codec.js';
import { create, DataType, type NodeProto, type TensorProto } from '../../../src/main/engine/onnx/schema.js';
import { node, uniform } from './fd.js';

export const SIZE = 8;

/**
 * conv1 (1->4, 3x3) Relu MaxPool, [extra], conv2 (4->8, 3x3) Relu GlobalAveragePool Flatten ->
 * embedding [N, 8]; `extraWeights` are initializers the extra nodes read.
 */
export function writeTinyCnn(path: string, extra: NodeProto[] = [], seed = 1, extraWeights: TensorProto[] = []): void {
  const f32 = (name: string, dims: number[], seed: number) => {
    const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
    return tensorProto(
      name,
      DataType.FLOAT,
      dims,
      uniform(
        dims.reduce((a, b) => a * b, 1),
        seed,
        -1 / Math.sqrt(fanIn),
        1 / Math.sqrt(fanIn),
      ),
    );
  };
  const pooled = extra.length ? extra.at(-1)!.output[0] : 'p1';
  const nodes = [
    node('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['c1'], { pads: [1, 1, 1, 1] }),
    node('Relu', ['c1'], ['r1']),
    node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
    ...extra,
    node('Conv', [pooled, 'conv2.weight', 'conv2.bias'], ['c2'], { pads: [1, 1, 1, 1] }),
    node('Relu', ['c2'], ['r2']),
    node('GlobalAveragePool', ['r2'], ['g']),
    node('Flatten', ['g'], ['embedding']),
  ];
  nodes.forEach((n, i) => (n.name = `${n.op_type.toLowerCase()}${i}`));
  nodes[0].name = 'conv1';
  nodes[3 + extra.length].name = 'conv2';
  const model = create('ModelProto', {
    ir_version: 8,
    opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    graph: create('GraphProto', {
      name: 'tiny',
      node: nodes,
      initializer: [
        f32('conv1.weight', [4, 1, 3, 3], seed),
        f32('conv1.bias', [4], seed + 1),
        f32('conv2.weight', [8, 4, 3, 3], seed + 2),
        f32('conv2.bias', [8], seed + 3),
        ...extraWeights,
      ],
      input: [
        create('ValueInfoProto', {
          name: 'input',
          type: create('TypeProto', {
            tensor_type: {
              elem_type: DataType.FLOAT,
              shape: { dim: [{ dim_param: 'batch' }, { dim_value: 1 }, { dim_value: SIZE }, { dim_value: SIZE }] },
            },
          }),
        }),
      ],
      output: [create('ValueInfoProto', { name: 'embedding' })],
    }),
  });
  writeFileSync(path, encodeModel(model));
}

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** `<dir>/<name>-images-idx3-ubyte` (+ labels unless `labels` is false); returns the images path. */
export function writeTinySet(dir: string, name: string, count: number, seed: number, labels = true): string {
  mkdirSync(dir, { recursive: true });
  const noise = uniform(count * SIZE * SIZE, seed, 0, 60);
  const images = new Uint8Array(count * SIZE * SIZE);
  const y = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    y[n] = n % 2;
    for (let i = n * SIZE * SIZE; i < (n + 1) * SIZE * SIZE; i++) images[i] = Math.round((y[n] ? 130 : 40) + noise[i]);
  }
  const path = join(dir, `${name}-images-idx3-ubyte`);
  writeFileSync(path, idx(0x803, [count, SIZE, SIZE], images));
  if (labels) writeFileSync(join(dir, `${name}-labels-idx1-ubyte`), idx(0x801, [count], y));
  return path;
}
