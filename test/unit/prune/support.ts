// Shared by the prune tests: real images, onnxruntime embeddings, the onnx checker (Python), and
// hand-made UnitMem documents (memlens.unitmem/1) for the fixtures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import type { UnitMemResult } from '../../../src/shared/api.js';
import { sha256File } from '../../../src/main/engine/files.js';
import { DEMO, ROOT } from '../../support/cli.js';
import { PYTHON } from '../../support/references.js';

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'prune');
export const fixture = (name: string) => join(FIXTURES, `${name}.onnx`);

/** The first n demo test images (Fashion-MNIST), [n,1,28,28], normalized as the demo project does. */
export function fashionBatch(n: number): ort.Tensor {
  const raw = gunzipSync(readFileSync(join(DEMO, 'data', 'test-images-idx3-ubyte.gz')));
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = (raw[16 + i] / 255 - 0.286) / 0.353;
  return new ort.Tensor('float32', x, [n, 1, 28, 28]);
}

/** The model's first output on `x`, run by onnxruntime from the file. */
export async function embed(path: string, x: ort.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(readFileSync(path));
  try {
    const out = await s.run({ [s.inputNames[0]]: x });
    return out[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}

/** A [rows, width] embedding without the columns a structural export removed (PruneResult.outputs). */
export function withoutColumns(data: Float32Array, rows: number, removed: number[]): Float32Array {
  const width = data.length / rows;
  const gone = new Set(removed);
  const cols = Array.from({ length: width }, (_, c) => c).filter((c) => !gone.has(c));
  const out = new Float32Array(rows * cols.length);
  for (let r = 0; r < rows; r++) cols.forEach((c, k) => (out[r * cols.length + k] = data[r * width + c]));
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * onnx.checker.check_model(full_check=True) on each file, in one Python process (callers skip with
 * `missing('onnx')` first); returns each file's
 * parameter count as numpy sees it (elements of the float initializers), or the checker's error.
 */
export function checkWithOnnx(paths: string[]): Record<string, number | string> {
  const script = `
import json, sys, onnx, numpy as np
from onnx import numpy_helper
out = {}
for p in sys.argv[1:]:
    try:
        m = onnx.load(p)
        onnx.checker.check_model(m, full_check=True)
        out[p] = int(sum(numpy_helper.to_array(t).size for t in m.graph.initializer if t.data_type == onnx.TensorProto.FLOAT))
    except Exception as e:
        out[p] = str(e).splitlines()[0]
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, ...paths], { encoding: 'utf8' }));
}

/**
 * A UnitMem document for a model, made by hand: unit u of the k-th layer scores ((7u + 3k) mod 10) / 10,
 * which has ties (tie-breaking is exercised) and differs between layers (global ranking is exercised).
 */
export async function handScores(model: string, layers: { name: string; units: number }[]): Promise<UnitMemResult> {
  return {
    schema: 'memlens.unitmem/1',
    model: { path: model, sha256: await sha256File(model) },
    settings: { views: 10, rest: 'mean', augment: 'simclr', seed: 0 },
    samples: ['0', '1'],
    layers: layers.map((l, k) => ({
      name: l.name,
      op: 'Conv',
      kind: 'conv',
      tensor: l.name,
      units: l.units,
      unitmem: Array.from({ length: l.units }, (_, u) => ((7 * u + 3 * k) % 10) / 10),
      muMax: Array.from({ length: l.units }, () => 1),
      muRest: Array.from({ length: l.units }, () => 0.5),
      argmaxSample: Array.from({ length: l.units }, () => 0),
    })),
  };
}
