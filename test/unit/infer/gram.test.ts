import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGramOutputs } from '../../../src/main/engine/infer/gram.js';
import { createSession } from '../../../src/main/engine/infer/session.js';
import {
  AttributeType,
  create,
  DataType,
  decodeModel,
  encodeModel,
  node,
} from '../../../src/main/engine/onnx/index.js';
import { writeConvModel } from './tiny-models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-gram-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('in-graph Gram taps', () => {
  it("returns, per sample, the dot products of its views' flattened outputs", async () => {
    // y = [p, 2p] per pixel (two channels): the flattened [2,2,2] output of image p is (p, 2p).
    await writeConvModel(join(dir, 'm.onnx'), [1, 2], [0, 0]);
    const proto = decodeModel(await readFile(join(dir, 'm.onnx')));
    const { proto: tapped, outputs } = addGramOutputs(proto, [{ tensor: 'y', features: 8, batchAxis: 0, rank: 4 }], 2);
    const s = await createSession(encodeModel(tapped), { threads: 1 });
    // 2 samples x 2 views of 2x2 images
    const imgs = [
      [1, 0, 0, 0],
      [0, 1, 1, 0],
      [1, 2, 3, 4],
      [2, 0, 0, 1],
    ];
    const out = await s.run('x', { data: Float32Array.from(imgs.flat()), dims: [4, 1, 2, 2] }, outputs);
    await s.release();
    const gram = out[outputs[0]];
    expect(gram.dims).toEqual([2, 2, 2]);
    // <(p,2p),(q,2q)> = 5 <p,q>
    const dot = (a: number[], b: number[]) => 5 * a.reduce((t, v, i) => t + v * b[i], 0);
    const want = [
      [dot(imgs[0], imgs[0]), dot(imgs[0], imgs[1]), dot(imgs[1], imgs[0]), dot(imgs[1], imgs[1])],
      [dot(imgs[2], imgs[2]), dot(imgs[2], imgs[3]), dot(imgs[3], imgs[2]), dot(imgs[3], imgs[3])],
    ].flat();
    expect(Array.from(gram.data)).toEqual(want);
    // the source model is untouched
    expect(proto.graph!.output.map((o) => o.name)).toEqual(['y']);
  });

  it('brings the batch first for [T, B, C]-style tensors (batch on axis 1)', async () => {
    // x [N,1,2,2] -> Transpose perm [2,0,3,1] -> t [2, N, 2, 1]: each image's 4 pixels, batch on axis 1
    const t = node('Transpose', ['x'], ['t'], 'tokens_first');
    t.attribute.push(create('AttributeProto', { name: 'perm', type: AttributeType.INTS, ints: [2, 0, 3, 1] }));
    const io = (name: string) =>
      create('ValueInfoProto', { name, type: create('TypeProto', { tensor_type: { elem_type: DataType.FLOAT } }) });
    const proto = create('ModelProto', {
      ir_version: 8,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
      graph: create('GraphProto', { name: 'tbc', node: [t], input: [io('x')], output: [io('t')] }),
    });
    const { proto: tapped, outputs } = addGramOutputs(proto, [{ tensor: 't', features: 4, batchAxis: 1, rank: 4 }], 2);
    const s = await createSession(encodeModel(tapped), { threads: 1 });
    const imgs = [
      [1, 2, 3, 4],
      [0, 1, 0, 1],
      [2, 0, 0, 2],
      [1, 1, 1, 1],
    ];
    const out = await s.run('x', { data: Float32Array.from(imgs.flat()), dims: [4, 1, 2, 2] }, outputs);
    await s.release();
    // a transpose permutes each image's pixels the same way: dot products are the images' own
    const dot = (a: number[], b: number[]) => a.reduce((x, v, i) => x + v * b[i], 0);
    const want = [0, 2].flatMap((k) => [
      dot(imgs[k], imgs[k]),
      dot(imgs[k], imgs[k + 1]),
      dot(imgs[k + 1], imgs[k]),
      dot(imgs[k + 1], imgs[k + 1]),
    ]);
    expect(Array.from(out[outputs[0]].data)).toEqual(want);
  });
});
