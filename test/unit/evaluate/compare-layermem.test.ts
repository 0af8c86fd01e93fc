import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare } from '../../../src/main/engine/evaluate/sweep.js';
import { computeLayerMem, outputLayerMem } from '../../../src/main/engine/metrics/layermem-job.js';
import { loadModel } from '../../../src/main/engine/onnx/index.js';
import { pruneModel } from '../../../src/main/engine/prune/export.js';

const DEMO = new URL('../../../resources/demo/', import.meta.url).pathname;
const CANDIDATES = join(DEMO, 'data/candidates-images-idx3-ubyte.gz');
const CNN = new URL('../../fixtures/onnx/cnn-opset13.onnx', import.meta.url).pathname;
const TEST = join(DEMO, 'data/test-images-idx3-ubyte.gz');
// The demo project's normalization; the copies below have no project file beside them.
const settings = { mean: [0.286], std: [0.353], views: 2 };

/** Width of a model's (only) output, from its declared shape [batch, width]. */
async function outputWidth(path: string): Promise<number> {
  const dims = (await loadModel(path)).proto.graph!.output![0].type!.tensor_type!.shape!.dim!;
  return Number(dims[dims.length - 1].dim_value);
}

describe('compare with a reference encoder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memlens-compare-layermem-'));
    await copyFile(join(DEMO, 'ssl-cnn-f.onnx'), join(dir, 'f.onnx'));
    await copyFile(join(DEMO, 'ssl-cnn-g.onnx'), join(dir, 'g.onnx'));
    await copyFile(CNN, join(dir, 'cnn.onnx'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports LayerMem of the embedding per point: the unpruned one equals computeLayerMem of the last row', async () => {
    const out = join(dir, 'out');
    const r = await compare({
      model: join(dir, 'f.onnx'), reference: join(dir, 'g.onnx'), data: CANDIDATES,
      train: join(DEMO, 'data/train-images-idx3-ubyte.gz'), test: join(DEMO, 'data/test-images-idx3-ubyte.gz'), limit: 200,
      strategies: ['high'], ratios: [0.2], seeds: [0], out, ...settings,
    });
    // Independent path: every row of f and g in one pass, then the last row (the global pool).
    const full = await computeLayerMem({ model: join(dir, 'f.onnx'), reference: join(dir, 'g.onnx'), data: CANDIDATES, ...settings });
    const last = full.layers[full.layers.length - 1];
    expect(last.kind).toBe('pool');
    expect(r.points.map((p) => p.strategy)).toEqual(['none', 'high']);
    expect(r.points[0].layerMem).toBeCloseTo(last.layermem, 10);
    const pruned = r.points[1];
    expect(Number.isFinite(pruned.layerMem)).toBe(true);
    expect(pruned.layerMem).not.toBe(r.points[0].layerMem);
    // The pruned encoder is narrower inside but keeps the 128-wide embedding (output groups are masked).
    expect(pruned.params).toBeLessThan(r.points[0].params);
    expect(await outputWidth(join(out, 'models/high-layer-0.2-seed0.onnx'))).toBe(await outputWidth(join(dir, 'f.onnx')));

    const csv = (await readFile(join(out, 'compare.csv'), 'utf8')).trim().split('\n');
    expect(csv[0].split(',')[6]).toBe('layerMem');
    expect(csv[1].split(',')[6]).toBe(String(r.points[0].layerMem));
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain(`<td>${r.points[1].layerMem!.toFixed(4)}</td>`);
  });

  it('refuses an encoder whose embedding width differs from the reference, in one line', async () => {
    // Cutting the output layer itself (include) changes the embedding: 10 -> 8 features.
    const narrow = join(dir, 'narrow.onnx');
    await pruneModel({ model: join(dir, 'cnn.onnx'), strategy: 'l1', ratio: 0.2, scope: 'layer', include: ['/fc/Gemm'], out: narrow });
    expect(await outputWidth(narrow)).toBe(8);
    const layerMemOf = await outputLayerMem({ model: join(dir, 'cnn.onnx'), reference: join(dir, 'cnn.onnx'), data: TEST, limit: 4, views: 2 });
    expect(await layerMemOf.measure(await loadModel(join(dir, 'cnn.onnx')))).toBe(0);
    const oneLine = /^LayerMem compares one embedding: .*narrow\.onnx ends in linear \/fc\/Gemm \(8 units\), reference .*cnn\.onnx in linear \/fc\/Gemm \(10 units\)$/;
    await expect(layerMemOf.measure(await loadModel(narrow))).rejects.toThrow(oneLine);
    // compare checks the model against the reference before measuring anything.
    await expect(
      compare({ model: narrow, reference: join(dir, 'cnn.onnx'), data: TEST, train: TEST, test: TEST, strategies: ['l1'], ratios: [0.1] }),
    ).rejects.toThrow(oneLine);
  });
});
