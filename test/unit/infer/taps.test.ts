// Mean taps set up without the probe session (static ranks + one run of the tapped session) against
// the probe path (tapGraph, which runs the plain model first): the same unit counts and the same
// per-unit means on the demo encoders, and the same one-line error for images a model cannot take.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectLayers, tapEncoder, tapGraph } from '../../../src/main/engine/infer/encoder.js';
import { modelInput } from '../../../src/main/engine/infer/input.js';
import { createSession } from '../../../src/main/engine/infer/session.js';
import { encodeModel, indexModel, loadModel } from '../../../src/main/engine/onnx/index.js';
import { DEMO } from '../../support/cli.js';
import { writeConvModel } from './tiny-models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-taps-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('mean taps without a probe session', () => {
  for (const name of ['ssl-cnn-f.onnx', 'ssl-vit-f.onnx']) {
    it(`${name}: the probe path's unit counts and per-unit means`, async () => {
      const model = await loadModel(join(DEMO, name));
      const layers = selectLayers(model, undefined, true);
      const { name: input, channels: c, height: h, width: w } = modelInput(model);
      // The static path is the one taken: inference knows every layer tensor's rank.
      const index = indexModel(model.proto, { [input]: ['batch', c, h, w] });
      expect(layers.every((l) => index.shape(l.tensor) !== undefined)).toBe(true);

      const direct = await tapEncoder(model, layers, { means: true, threads: 1 });
      const probed = await tapGraph(model, layers, { means: true });
      const session = await createSession(encodeModel(probed.proto), { threads: 1 });
      expect(direct.layers.map((l) => l.units)).toEqual(probed.layers.map((l) => l.units));

      const x = { data: Float32Array.from({ length: 5 * c * h * w }, (_, i) => Math.sin(i / 7)), dims: [5, c, h, w] };
      const a = await direct.session.run(
        input,
        x,
        direct.layers.map((l) => l.mean!),
      );
      const b = await session.run(
        input,
        x,
        probed.layers.map((l) => l.mean!),
      );
      await Promise.all([direct.session.release(), session.release()]);
      direct.layers.forEach((l, i) => {
        expect(a[l.mean!].dims).toEqual([5, l.units]);
        expect(Array.from(a[l.mean!].data)).toEqual(Array.from(b[probed.layers[i].mean!].data));
      });
    });
  }

  it('images the model cannot take: one BAD_MODEL line, as from the probe', async () => {
    const path = join(dir, 'fixed.onnx');
    await writeConvModel(path, [1, 2], [0, 0], { size: 'dynamic', gemmFor2x2: true });
    const model = await loadModel(path);
    const layers = selectLayers(model, undefined, true);
    const tapped = tapEncoder(model, layers, { means: true, size: [3, 3], threads: 1 });
    await expect(tapped).rejects.toThrow(/^.*fixed\.onnx cannot take 1x3x3 images: [^\n]+$/);
    await expect(tapped).rejects.toMatchObject({ code: 'BAD_MODEL' });
  });
});
