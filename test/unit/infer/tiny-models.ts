// Tiny ONNX encoders with known weights, built in the tests with the project's own schema, and tiny
// image data written as PNGs: every metric on them can be computed by hand.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { create, DataType, encodeModel, float32Tensor, node } from '../../../src/main/engine/onnx/index.js';

export interface ConvModelOptions {
  relu?: boolean;
  /** Input height = width (default 2), or 'dynamic' for symbolic H and W. */
  size?: number | 'dynamic';
  /** Append Flatten -> Gemm sized for 2x2 inputs, so other sizes fail inside onnxruntime. */
  gemmFor2x2?: boolean;
}

/**
 * x [N,1,H,W] -> Conv 1x1 (one output channel per weight, bias per channel) -> Relu? -> y.
 * Unit k's activation at a pixel p is relu(w[k] * p + b[k]).
 */
export async function writeConvModel(
  path: string,
  w: number[],
  b: number[],
  opts: ConvModelOptions = {},
): Promise<void> {
  const size = opts.size ?? 2;
  const hw = size === 'dynamic' ? ['H', 'W'] : [size, size];
  const c = w.length;
  const dims = (d: (number | string)[]) =>
    create('TypeProto', {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: d.map((v) => (typeof v === 'number' ? { dim_value: v } : { dim_param: v })) },
      },
    });
  const nodes = [node('Conv', ['x', 'w', 'b'], [opts.relu ? 'conv' : 'y'], 'conv1')];
  if (opts.relu) nodes.push(node('Relu', ['conv'], ['y'], 'relu1'));
  const initializer = [
    float32Tensor('w', [c, 1, 1, 1], Float32Array.from(w)),
    float32Tensor('b', [c], Float32Array.from(b)),
  ];
  let output = create('ValueInfoProto', { name: 'y', type: dims(['N', c, ...hw]) });
  if (opts.gemmFor2x2) {
    nodes.push(node('Flatten', ['y'], ['flat'], 'flatten'), node('Gemm', ['flat', 'fc'], ['z'], 'fc', { transB: 1 }));
    initializer.push(float32Tensor('fc', [1, c * 4], new Float32Array(c * 4).fill(1)));
    output = create('ValueInfoProto', { name: 'z', type: dims(['N', 1]) });
  }
  const graph = create('GraphProto', {
    name: 'tiny',
    node: nodes,
    initializer,
    input: [create('ValueInfoProto', { name: 'x', type: dims(['N', 1, ...hw]) })],
    output: [output],
  });
  const model = create('ModelProto', {
    ir_version: 8,
    opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    producer_name: 'memlens-test',
    graph,
  });
  await writeFile(path, encodeModel(model));
}

/** Writes a gray PNG whose pixels (row-major) are `pixels` (0..255). */
export async function writeGray(path: string, pixels: number[], size = 2): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toFile(path);
}
