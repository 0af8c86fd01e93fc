import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare } from '../../../src/main/engine/evaluate/sweep.js';
import { outputLayerMem } from '../../../src/main/engine/metrics/layermem-job.js';
import { loadModel } from '../../../src/main/engine/onnx/index.js';
import { pruneModel } from '../../../src/main/engine/prune/export.js';

const DEMO = new URL('../../../resources/demo/', import.meta.url).pathname;
const CNN = new URL('../../fixtures/onnx/cnn-opset13.onnx', import.meta.url).pathname;
const TEST = join(DEMO, 'data/test-images-idx3-ubyte.gz');

/** Width of a model's (only) output, from its declared shape [batch, width]. */
async function outputWidth(path: string): Promise<number> {
  const dims = (await loadModel(path)).proto.graph!.output![0].type!.tensor_type!.shape!.dim!;
  return Number(dims[dims.length - 1].dim_value);
}

describe('LayerMem of one embedding against a reference', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memlens-compare-layermem-'));
    await copyFile(CNN, join(dir, 'cnn.onnx'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses an encoder whose embedding width differs from the reference, in one line', async () => {
    // Cutting the output layer itself (include) changes the embedding: 10 -> 8 features.
    const narrow = join(dir, 'narrow.onnx');
    await pruneModel({
      model: join(dir, 'cnn.onnx'),
      strategy: 'l1',
      ratio: 0.2,
      scope: 'layer',
      include: ['/fc/Gemm'],
      out: narrow,
    });
    expect(await outputWidth(narrow)).toBe(8);
    const layerMemOf = await outputLayerMem({
      model: join(dir, 'cnn.onnx'),
      reference: join(dir, 'cnn.onnx'),
      data: TEST,
      limit: 4,
      views: 2,
    });
    expect((await layerMemOf.measure(await loadModel(join(dir, 'cnn.onnx')))).layermem).toBe(0);
    const oneLine =
      /^LayerMem compares one embedding: .*narrow\.onnx ends in linear \/fc\/Gemm \(8 units\), reference .*cnn\.onnx in linear \/fc\/Gemm \(10 units\)$/;
    await expect(layerMemOf.measure(await loadModel(narrow))).rejects.toThrow(oneLine);
    // compare checks the model against the reference before measuring anything.
    await expect(
      compare({
        model: narrow,
        reference: join(dir, 'cnn.onnx'),
        control: TEST,
        data: TEST,
        train: TEST,
        test: TEST,
        strategies: ['l1'],
        ratios: [0.1],
      }),
    ).rejects.toThrow(oneLine);
  });
});
