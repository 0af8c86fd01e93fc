// UnitMem's rate policy (docs/UNITS.md) on real torchvision encoders (test/support/zoo.ts):
// - every zoo model: every layer's UnitMem in [0, 1], its unit count the output dimension of its
//   weight as the onnx package reads it, and `memlens prune` takes the scores;
// - resnet18, mobilenet_v2, vit_small: the per-unit rates MemLens reads and UnitMem equal a PyTorch
//   forward-hook reference at the documented taps (scripts/zoo/unitmem-reference.py), both fed
//   the same float32 pixels.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnitMemResult } from '../../src/shared/api.js';
import { selectLayers, tapEncoder, tapOutputs } from '../../src/main/engine/infer/encoder.js';
import { loadModel } from '../../src/main/engine/onnx/index.js';
import { memlens, ROOT } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';
import { rgbImages } from '../support/rgb-images.js';
import { ZOO, zooModel, type ZooName } from '../support/zoo.js';

const IMAGES = 24;
const SKIP = missing('torch', 'torchvision', 'onnx', 'numpy');

let dir: string;
let images: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-zoo-unitmem-'));
  images = await rgbImages(join(dir, 'images'), IMAGES);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Output dimension of every Conv/Gemm/MatMul weight initializer, by node name, read by the onnx package. */
function weightOutputs(model: string): Record<string, number> {
  const code = `
import json, sys, onnx
g = onnx.load(sys.argv[1], load_external_data=False).graph
w = {t.name: list(t.dims) for t in g.initializer}
out = {}
for n in g.node:
    if n.op_type in ('Conv', 'Gemm', 'MatMul') and len(n.input) > 1 and n.input[1] in w:
        d = w[n.input[1]]
        tb = any(a.name == 'transB' and a.i == 1 for a in n.attribute)
        out[n.name] = d[0] if n.op_type == 'Conv' or (n.op_type == 'Gemm' and tb) else d[-1]
print(json.dumps(out))`;
  const r = spawnSync(PYTHON, ['-c', code, model], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** `memlens unitmem` written to `out` (the document outgrows spawnSync's stdout buffer). */
function unitmem(model: string, out: string, extra: string[]): UnitMemResult {
  const r = memlens(['unitmem', model, '--data', images, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as UnitMemResult;
}

describe.skipIf(SKIP)('zoo encoders under the rate policy', () => {
  it.each(ZOO)(
    '%s: UnitMem in [0, 1], units = weight output dims, prune takes the scores',
    (name: ZooName) => {
      const model = zooModel(name);
      const scores = join(dir, `${name}.unitmem.json`);
      const doc = unitmem(model, scores, ['--views', '2']);
      expect(doc.settings.activation).toBe('rate');
      const dims = weightOutputs(model);
      expect(doc.layers.map((l) => l.name).sort()).toEqual(Object.keys(dims).sort());
      for (const l of doc.layers) {
        expect(l.units, l.name).toBe(dims[l.name]);
        expect(l.unitmem, l.name).toHaveLength(l.units);
        const outside = l.unitmem.filter((u) => !(u >= 0 && u <= 1));
        expect(outside, `${l.name} read at ${JSON.stringify(l.read)}`).toEqual([]);
        expect(l.signed).toBe(false);
      }
      const out = join(dir, `${name}.pruned.onnx`);
      const p = memlens([
        'prune',
        model,
        '--scores',
        scores,
        '--strategy',
        'high',
        '--ratio',
        '0.1',
        '--scope',
        'layer',
        '--out',
        out,
      ]);
      expect(p.code, p.stderr).toBe(0);
    },
    300_000,
  );
});

describe.skipIf(SKIP)('rates and UnitMem against PyTorch forward hooks', () => {
  /** The images as both sides see them: [N, 3, 64, 64] float32, (v / 255 - 0.5) / 0.5 (the default normalization). */
  async function pixels(): Promise<Float32Array> {
    const files = readdirSync(images).sort();
    const out = new Float32Array(files.length * 3 * 64 * 64);
    for (const [i, f] of files.entries()) {
      const px = await sharp(join(images, f)).raw().toBuffer();
      for (let p = 0; p < 64 * 64; p++)
        for (let c = 0; c < 3; c++) out[(i * 3 + c) * 64 * 64 + p] = (px[3 * p + c] / 255 - 0.5) / 0.5;
    }
    return out;
  }

  it.each(['resnet18', 'mobilenet_v2', 'vit_small'] as const)(
    '%s: per-unit rates and UnitMem within 1e-4',
    async (name) => {
      const path = zooModel(name);
      const x = await pixels();
      const file = join(dir, `${name}.pixels.f32`);
      writeFileSync(file, x);
      const refFile = join(dir, `${name}.reference.json`);
      const py = spawnSync(
        PYTHON,
        [
          join(ROOT, 'scripts/zoo/unitmem-reference.py'),
          name,
          '--pixels',
          file,
          '--count',
          String(IMAGES),
          '--out',
          refFile,
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(py.status, py.stderr).toBe(0);
      const ref = JSON.parse(readFileSync(refFile, 'utf8')).layers as Record<
        string,
        { mu: number[][]; unitmem: number[] }
      >;

      // The rates MemLens's tapped graph computes for these pixels.
      const model = await loadModel(path);
      const layers = selectLayers(model, undefined, false);
      expect(layers.map((l) => l.name).sort()).toEqual(Object.keys(ref).sort());
      const enc = await tapEncoder(model, layers, { means: true, activation: 'rate' });
      const rateDiff = new Map<string, number>();
      try {
        const out = await enc.session.run(enc.input.name, { data: x, dims: [IMAGES, 3, 64, 64] }, tapOutputs(enc));
        for (const l of enc.layers) {
          const got = out[l.mean!];
          const want = ref[l.info.name].mu;
          expect(got.dims, l.info.name).toEqual([IMAGES, want[0].length]);
          let diff = 0;
          want.forEach((row, i) =>
            row.forEach((v, u) => (diff = Math.max(diff, Math.abs(v - got.data[i * row.length + u])))),
          );
          expect(diff, l.info.name).toBeLessThanOrEqual(1e-4);
          rateDiff.set(l.info.name, diff);
        }
      } finally {
        await enc.session.release();
      }

      // UnitMem through the CLI's own data path: one un-augmented view per image.
      const doc = unitmem(path, join(dir, `${name}.one-view.json`), ['--augment', 'none', '--views', '1']);
      for (const l of doc.layers) {
        const want = ref[l.name].unitmem;
        l.unitmem.forEach((u, k) => {
          // UnitMem is a ratio: rates off by d move it by at most 2d / (max + rest). That stays under
          // 1e-4 except for nearly dead units (max + rest ~1e-5, where float32 noise is relatively large).
          const den = l.muMax[k] + l.muRest[k];
          expect(Math.abs(u - want[k]), `${l.name} unit ${k}`).toBeLessThanOrEqual(
            Math.max(1e-4, (2 * rateDiff.get(l.name)!) / den),
          );
        });
      }
    },
    300_000,
  );
});
