// `memlens inspect` describes any valid ONNX model (issue #19): the models here are built by the onnx
// package, pass onnx.checker's full check and run in onnxruntime, yet are not encoders MemLens can
// measure. inspect must describe each, and convert must round-trip each byte for byte.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO, memlens } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';

// Each model is checked with full_check before it is saved, so a model that is not valid fails here.
const BUILD = `
import sys, onnx
from onnx import helper as h, TensorProto as T
out = sys.argv[1]
def save(name, nodes, inputs, outputs, inits=()):
    m = h.make_model(h.make_graph(nodes, name, inputs, outputs, initializer=list(inits)), opset_imports=[h.make_opsetid('', 17)])
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, f'{out}/{name}.onnx')
x = lambda shape: h.make_tensor_value_info('x', T.FLOAT, shape)
y = lambda shape: h.make_tensor_value_info('y', T.FLOAT, shape)
# ConstantOfShape whose value is a float (its type is the output's element type).
save('fill', [h.make_node('Shape', ['x'], ['s']),
              h.make_node('ConstantOfShape', ['s'], ['c'], value=h.make_tensor('value', T.FLOAT, [1], [0.5])),
              h.make_node('Add', ['x', 'c'], ['y'])], [x([1, 3, 4, 4])], [y([1, 3, 4, 4])])
# Resize with its unused roi and scales written as empty initializers: dims [0], no data at all.
save('empty', [h.make_node('Resize', ['x', 'roi', 'scales', 'sizes'], ['y'], mode='nearest')],
     [x(['N', 3, 8, 8]), h.make_tensor_value_info('sizes', T.INT64, [4])], [y(['N', 3, 'H', 'W'])],
     [h.make_tensor('roi', T.FLOAT, [0], []), h.make_tensor('scales', T.FLOAT, [0], [])])
# No input at all: two Constants feed the output.
save('constants', [h.make_node('Constant', [], ['a'], value=h.make_tensor('a', T.FLOAT, [2], [1, 2])),
                   h.make_node('Constant', [], ['b'], value=h.make_tensor('b', T.FLOAT, [2], [3, 4])),
                   h.make_node('Add', ['a', 'b'], ['y'])], [], [y([2])])
`;

describe.skipIf(missing('onnx'))('inspect on valid models that are not encoders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-inspect-'));
  const model = (name: string) => join(dir, `${name}.onnx`);
  beforeAll(() => {
    const r = spawnSync(PYTHON, ['-c', BUILD, dir], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
  });

  it('onnxruntime runs each model (they are valid, not just well-formed)', async () => {
    const feeds: Record<string, Record<string, ort.Tensor>> = {
      fill: { x: new ort.Tensor('float32', new Float32Array(48).fill(1), [1, 3, 4, 4]) },
      empty: {
        x: new ort.Tensor('float32', new Float32Array(2 * 3 * 64), [2, 3, 8, 8]),
        sizes: new ort.Tensor('int64', BigInt64Array.from([2n, 3n, 4n, 4n]), [4]),
      },
      constants: {},
    };
    const expected = { fill: [48, 1.5], empty: [96, 0], constants: [2, 4] };
    for (const [name, feed] of Object.entries(feeds)) {
      const s = await ort.InferenceSession.create(model(name));
      const out = (await s.run(feed)).y.data as Float32Array;
      await s.release();
      expect([out.length, out[0]]).toEqual(expected[name as keyof typeof expected]);
    }
  });

  it('ConstantOfShape with a float value: inspect describes the model and its residual add', () => {
    const r = memlens(['inspect', model('fill')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('input    x [1, 3, 4, 4] float');
    expect(r.stdout).toMatch(/^0 +y +residual-add\* +3 +y$/m);
  });

  it('empty initializers: inspect counts no parameters and says no encoder layer was found', () => {
    const r = memlens(['inspect', model('empty'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect([doc.params, doc.layers, doc.output.shape]).toEqual([0, [], ['N', 3, 'H', 'W']]);
    expect(memlens(['inspect', model('empty')]).stdout).toContain(
      '\nno encoder layers found (no Conv, Gemm or MatMul with a constant weight)\n',
    );
  });

  it('no input: inspect says so in its output, and a verb that runs images says what it needs', () => {
    const r = memlens(['inspect', model('constants')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('input    none (constants only: this model cannot run images)\noutput   y [2] float\n');
    const doc = JSON.parse(memlens(['inspect', model('constants'), '--json']).stdout);
    expect('input' in doc).toBe(false);
    const data = (split: string) => join(DEMO, 'data', `${split}-images-idx3-ubyte.gz`);
    const run = memlens(['evaluate', model('constants'), '--train', data('train'), '--test', data('test')]);
    expect([run.code, run.stderr]).toEqual([
      1,
      `memlens evaluate: ${model('constants')}: the graph has no input; MemLens needs an image input [N, C, H, W]\n`,
    ]);
  });

  it.each(['fill', 'empty', 'constants'])('%s: convert round-trips byte for byte', (name) => {
    const out = join(dir, `${name}.out.onnx`);
    const r = memlens(['convert', model(name), out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(model(name)))).toBe(true);
  });
});
