// Structural pruning on real torchvision topologies (test/support/zoo.ts) with the DEFAULT options:
// 20% per layer by `high`, UnitMem from `memlens unitmem` on 16 made-up 64x64 images, 2 views.
// Every export must pass onnx.checker (full_check) and run in onnxruntime, embed like the mask
// export on the dimensions it keeps, and keep about as many parameters as Torch-Pruning does at the
// same ratio (docs/PRUNING.md has the reference figures).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import type { PruneResult } from '../../src/shared/api.js';
import { pruneModel } from '../../src/main/engine/prune/export.js';
import { memlens, ROOT } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';
import { zooModel, type ZooName } from '../support/zoo.js';
import { checkWithOnnx, embed, maxAbsDiff, withoutColumns } from '../unit/prune/support.js';

/**
 * Parameters kept at most, and (where Torch-Pruning 1.6.1 was measured, L1 at 20%) within 0.03 of it.
 * `layerNorm`: LayerNorms span the cut channels, so the pruned model normalizes over fewer and its
 * embedding is not the mask export's. ConvNeXt ranks by L1 until UnitMem finds its unit axis (NHWC
 * Linear layers; the unitmem branch fixes it).
 */
const KEPT: { model: ZooName; max?: number; torchPruning?: number; layerNorm?: boolean; strategy?: 'l1' }[] = [
  { model: 'resnet18', max: 0.7 },
  { model: 'resnet50', max: 0.668, torchPruning: 0.638 },
  { model: 'mobilenet_v2', max: 0.677, torchPruning: 0.647 },
  { model: 'efficientnet_b0', max: 0.7 },
  { model: 'densenet121', max: 0.66, torchPruning: 0.63 },
  { model: 'convnext_tiny', max: 0.7, layerNorm: true, strategy: 'l1' },
  // MLP hidden units (307 of 1536) and 13 of the 64 dimensions of every head (20% of 64, 12.8,
  // rounds to 13) are cut; the embedding width stays (docs/PRUNING.md). By hand from the weight
  // shapes: the blocks keep 0.799 and the patch embedding, class token and positions stay, 0.808.
  { model: 'vit_small', max: 0.81 },
];
const BATCH = 4;

/** 16 RGB 64x64 PNGs of seeded noise: candidates for UnitMem. */
async function candidates(dir: string): Promise<string> {
  mkdirSync(dir);
  let s = 12345;
  for (let i = 0; i < 16; i++) {
    const px = Buffer.alloc(64 * 64 * 3);
    for (let k = 0; k < px.length; k++) px[k] = (s = (s * 1103515245 + 12345) % 2 ** 31) >> 16;
    await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toFile(join(dir, `${i}.png`));
  }
  return dir;
}

function images(): ort.Tensor {
  const x = new Float32Array(BATCH * 3 * 64 * 64);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) + Math.cos(i * 0.011);
  return new ort.Tensor('float32', x, [BATCH, 3, 64, 64]);
}

describe.skipIf(missing('torch', 'torchvision', 'onnx'))(
  'the torchvision zoo pruned 20% per layer by high, default options',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-zoo-'));
    const runs = new Map<ZooName, { structural: PruneResult; files: [string, string] }>();
    /** The ViT with --attention heads: whole heads instead of head dimensions. */
    let vitHeads: PruneResult;
    /** The ViT with --embedding-width: its stream is cut too. */
    let vitWidth: { result: PruneResult; file: string };
    let checked: Record<string, number | string> = {};

    beforeAll(async () => {
      const data = await candidates(join(dir, 'candidates'));
      for (const { model, strategy } of KEPT) {
        const path = zooModel(model);
        const scores = join(dir, `${model}.unitmem.json`);
        if (!strategy) {
          const u = memlens(['unitmem', path, '--data', data, '--views', '2', '--out', scores]);
          expect(u.code, u.stderr).toBe(0);
        }
        const files: [string, string] = [join(dir, `${model}-s.onnx`), join(dir, `${model}-m.onnx`)];
        const req = strategy
          ? { model: path, strategy, ratio: 0.2, scope: 'layer' as const }
          : { model: path, scores, strategy: 'high' as const, ratio: 0.2, scope: 'layer' as const };
        const structural = await pruneModel({ ...req, out: files[0] });
        await pruneModel({ ...req, mode: 'mask', out: files[1] });
        runs.set(model, { structural, files });
        if (model === 'vit_small') {
          vitHeads = await pruneModel({ ...req, attention: 'heads' });
          const file = join(dir, 'vit_small-width.onnx');
          vitWidth = { result: await pruneModel({ ...req, embeddingWidth: true, out: file }), file };
        }
      }
      checked = checkWithOnnx([...[...runs.values()].flatMap((r) => r.files), vitWidth.file]);
    }, 900_000);

    test('every export passes onnx.checker full_check, with the parameter count we report', () => {
      for (const [model, r] of runs) {
        expect(checked[r.files[0]], model).toBe(r.structural.params.after);
        expect(typeof checked[r.files[1]], `${model}: ${checked[r.files[1]]}`).toBe('number');
      }
    });

    test('every selected unit is cut (the ViT: but its blocked groups), and the export embeds like the mask export (1e-3) on the dimensions it keeps', async () => {
      const x = images();
      for (const { model, layerNorm } of KEPT) {
        const r = runs.get(model)!;
        // The ViT's stream and attention are masked (blocked groups), with their reason.
        if (model !== 'vit_small')
          expect(
            r.structural.groups.filter((g) => g.mode === 'mask'),
            model,
          ).toEqual([]);
        else
          expect(
            r.structural.groups.filter((g) => g.mode === 'mask').every((g) => g.reason),
            model,
          ).toBe(true);
        const [s, m] = [await embed(r.files[0], x), await embed(r.files[1], x)];
        const removed = r.structural.outputs.flatMap((o) => o.removed);
        expect(s.length, model).toBe(m.length - BATCH * removed.length);
        expect(s.every(Number.isFinite), model).toBe(true);
        if (!layerNorm) expect(maxAbsDiff(s, withoutColumns(m, BATCH, removed)), model).toBeLessThan(1e-3);
      }
    });

    test('a LayerNorm-coupled stream (ConvNeXt) is cut with the LayerNorms, which the notes say normalize over fewer channels', () => {
      const r = runs.get('convnext_tiny')!.structural;
      // The stem's LayerNorm2d spans stage 1's stream of 96 channels; 20% of them go: 77 remain.
      expect(r.notes).toContain(
        '/features/features.0/features.0.1/LayerNormalization now normalizes over 77 of its 96 channels',
      );
      const stem = r.layers.find((l) => l.name === '/features/features.0/features.0.0/Conv')!;
      expect(stem).toMatchObject({ units: 96, selected: 19, cut: 19, masked: 0 });
    });

    test('the ViT loses 13 of 64 dimensions of every head (the rounding said in the notes): the same ones in q, k and v', () => {
      const r = runs.get('vit_small')!.structural;
      for (let b = 0; b < 4; b++) {
        const qkv = `/encoder/layers/encoder_layer_${b}/self_attention/MatMul`;
        expect(r.notes).toContain(
          `${qkv}: 0.2 of 64 head dimensions is 12.8, rounded to 13 (whole head dimensions only)`,
        );
        expect(r.notes).toContain(`${qkv} loses 13 of the 64 head dimensions in each of its 6 heads`);
        // 13 dimensions j of each of the 18 heads of q, k and v: units 64h + j, h < 18.
        const units = r.removed[qkv];
        expect(r.layers.find((l) => l.name === qkv)).toMatchObject({ units: 1152, selected: 234, cut: 234, masked: 0 });
        const dims = units.slice(0, 13);
        expect(units).toEqual(Array.from({ length: 18 }, (_, h) => dims.map((j) => 64 * h + j)).flat());
      }
    });

    test('with --attention heads the ViT loses one whole head per layer (20% of 6 rounds to 1) and keeps more', () => {
      for (let b = 0; b < 4; b++) {
        const qkv = `/encoder/layers/encoder_layer_${b}/self_attention/MatMul`;
        expect(vitHeads.notes).toContain(
          `${qkv}: 0.2 of 6 attention heads is 1.2, rounded to 1 (whole attention heads only)`,
        );
        expect(vitHeads.notes).toContain(`${qkv} loses 1 of the 6 attention heads`);
        // q, k and v of one head: 3 x 64 of the 1152 units, 64 apart from each other's by 384.
        const units = vitHeads.removed[qkv];
        expect(vitHeads.layers.find((l) => l.name === qkv)).toMatchObject({ cut: 192, masked: 0 });
        expect(units.slice(64).map((u, i) => u - units[i % 64] - 384 * (1 + Math.floor(i / 64)))).toEqual(
          new Array(128).fill(0),
        );
      }
      const kept = (p: PruneResult['params']) => p.after / p.before;
      expect(kept(vitHeads.params)).toBeCloseTo(0.8196, 3);
      expect(kept(runs.get('vit_small')!.structural.params)).toBeLessThan(kept(vitHeads.params));
    });

    test('with --embedding-width the ViT keeps at most 0.80: its stream, LayerNorms, patch and position embeddings and class token lose 76 of 384 channels', () => {
      const r = vitWidth.result;
      expect(checked[vitWidth.file]).toBe(r.params.after);
      expect(r.params.after / r.params.before).toBeLessThanOrEqual(0.8);
      expect(r.groups.filter((g) => g.mode === 'mask')).toEqual([]);
      expect(r.layers.find((l) => l.name === '/conv_proj/Conv')).toMatchObject({ units: 384, cut: 76, masked: 0 });
      expect(r.notes).toContain('/encoder/ln/LayerNormalization now normalizes over 308 of its 384 channels');
      expect(r.outputs.map((o) => o.removed.length)).toEqual([76]);
    });

    test('the pruned ViTs embed as PyTorch computes the encoder on the kept weights (1e-3)', async () => {
      const x = images();
      const input = join(dir, 'images.f32');
      writeFileSync(input, x.data as Float32Array);
      const exports = [{ result: runs.get('vit_small')!.structural, file: runs.get('vit_small')!.files[0] }, vitWidth];
      for (const [i, { result, file }] of exports.entries()) {
        const doc = join(dir, `vit-reference-${i}.json`);
        const out = join(dir, `vit-reference-${i}.f32`);
        writeFileSync(doc, JSON.stringify(result));
        const script = join(ROOT, 'scripts', 'zoo', 'vit-pruned-reference.py');
        const run = spawnSync(PYTHON, [script, '64', doc, input, String(BATCH), out], {
          encoding: 'utf8',
          timeout: 300_000,
        });
        expect(run.status, run.stderr).toBe(0);
        const reference = new Float32Array(readFileSync(out).buffer.slice(0));
        const got = await embed(file, x);
        expect(got.length, file).toBe(reference.length);
        expect(maxAbsDiff(got, reference), file).toBeLessThan(1e-3);
      }
    });

    test('parameters kept match Torch-Pruning at the same ratio', () => {
      for (const { model, max, torchPruning } of KEPT) {
        const { params } = runs.get(model)!.structural;
        const kept = params.after / params.before;
        expect(kept, model).toBeLessThan(1);
        if (max !== undefined) expect(kept, model).toBeLessThanOrEqual(max);
        if (torchPruning !== undefined) expect(Math.abs(kept - torchPruning), model).toBeLessThanOrEqual(0.03);
      }
    });
  },
);
