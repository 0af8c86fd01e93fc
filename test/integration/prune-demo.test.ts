import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PruneResult, PruneStrategy, UnitMemResult } from '../../src/shared/api.js';
import { pruneModel } from '../../src/main/engine/prune/export.js';
import { DEMO, memlens } from '../support/cli.js';
import { missing } from '../support/references.js';
import { checkWithOnnx, embed, fashionBatch, maxAbsDiff, withoutColumns } from '../unit/prune/support.js';

// Expected parameter counts of the demo encoders after cutting, written from their PyTorch definitions
// (scripts/demo/encoders.py: ResNet9 widths 16/32/64/128 with BN folded into conv biases; ViT dim 64,
// MLP 128, 3 blocks). cut(C, layers): the channels the coupled layers selected (with the default
// coupling they rank together and select the same ones; the default align 1 cuts them all).
type Cut = (channels: number, ...layers: string[]) => number;
const conv = (cout: number, cin: number) => cout * cin * 9 + cout;
/** Residual partners: ranked as one layer on their mean UnitMem. */
const PARTNERS: Record<string, string[][]> = {
  'ssl-cnn-f': [
    ['/layer1/layer1.0/Conv', '/res1/block2/block2.0/Conv'],
    ['/layer3/layer3.0/Conv', '/res2/block2/block2.0/Conv'],
  ],
  // The ViT's residual stream goes through LayerNorms: masked, so each layer keeps its own ranking.
  'ssl-vit-f': [],
};
const EXPECTED: Record<string, (cut: Cut, before: number) => number> = {
  'ssl-cnn-f': (cut) => {
    const p = 16 - cut(16, '/prep/prep.0/Conv');
    const [a, c] = PARTNERS['ssl-cnn-f'].map((ls, i) => [32, 128][i] - cut([32, 128][i], ...ls));
    const r1 = 32 - cut(32, '/res1/block1/block1.0/Conv');
    const b = 64 - cut(64, '/layer2/layer2.0/Conv');
    const r2 = 128 - cut(128, '/res2/block1/block1.0/Conv');
    // c reaches the embedding: cut by default, so the embedding narrows to c
    return conv(p, 1) + conv(a, p) + conv(r1, a) + conv(a, r1) + conv(b, a) + conv(c, b) + conv(r2, c) + conv(c, r2);
  },
  'ssl-vit-f': (cut, before) => {
    // each MLP neuron: a column of 64 in fc1 + its bias, a row of 64 in fc2; each head dimension (16
    // in each of 4 heads): its 3 x 4 qkv columns of 64 + their biases, 4 rows of 64 in proj
    const blocks = [0, 1, 2];
    const mlp = blocks.reduce((n, b) => n + cut(128, `/blocks/blocks.${b}/fc1/MatMul`), 0);
    const dims = blocks.reduce((n, b) => n + cut(192, `/blocks/blocks.${b}/attn/qkv/MatMul`) / 12, 0);
    return before - 129 * mlp - (12 * 64 + 12 + 4 * 64) * dims;
  },
};
const STRATEGIES: PruneStrategy[] = ['high', 'low', 'random', 'l1'];
const RATIO = 0.3;

describe('pruning the demo encoders with real UnitMem scores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-demo-'));
  const runs: { model: string; label: string; structural: PruneResult; mask: PruneResult; files: [string, string] }[] =
    [];
  const images = fashionBatch(16);

  beforeAll(async () => {
    for (const model of Object.keys(EXPECTED)) {
      const path = join(DEMO, `${model}.onnx`);
      const scores = join(dir, `${model}.unitmem.json`);
      const u = memlens([
        'unitmem',
        path,
        '--data',
        join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz'),
        '--limit',
        '32',
        '--views',
        '2',
        '--out',
        scores,
      ]);
      expect(u.code, u.stderr).toBe(0);
      for (const strategy of STRATEGIES) {
        for (const scope of ['layer', 'global'] as const) {
          const label = `${model} ${strategy} ${scope}`;
          const files: [string, string] = [
            join(dir, `${model}-${strategy}-${scope}-s.onnx`),
            join(dir, `${model}-${strategy}-${scope}-m.onnx`),
          ];
          const req = { model: path, scores, strategy, scope, ratio: RATIO, seed: 1 };
          const structural = await pruneModel({ ...req, out: files[0] });
          const mask = await pruneModel({ ...req, mode: 'mask', out: files[1] });
          runs.push({ model, label, structural, mask, files });
        }
      }
    }
  }, 240_000);

  it.skipIf(missing('onnx'))('every export passes onnx.checker full_check with the parameter count we report', () => {
    const checked = checkWithOnnx(runs.flatMap((r) => r.files));
    for (const r of runs) {
      expect(checked[r.files[0]], r.label).toBe(r.structural.params.after);
      expect(checked[r.files[1]], r.label).toBe(r.mask.params.before);
    }
  });

  it('structural exports are smaller by exactly the cut channels', () => {
    for (const r of runs) {
      const sel = (l: string) => r.structural.removed[l] ?? [];
      const cut: Cut = (_channels, ...layers) => {
        for (const l of layers) expect(sel(l), `${r.label} ${l}`).toEqual(sel(layers[0]));
        return sel(layers[0]).length;
      };
      expect(r.structural.params.after, r.label).toBe(EXPECTED[r.model](cut, r.structural.params.before));
      if (r.label.endsWith('layer'))
        expect(r.structural.params.after, r.label).toBeLessThan(r.structural.params.before);
    }
  });

  it('structural and mask exports embed real images the same (1e-4)', async () => {
    for (const r of runs) {
      const [s, m] = [await embed(r.files[0], images), await embed(r.files[1], images)];
      // The structural export lost the embedding dimensions the mask export zeroes.
      expect(
        maxAbsDiff(
          s,
          withoutColumns(
            m,
            16,
            r.structural.outputs.flatMap((o) => o.removed),
          ),
        ),
        r.label,
      ).toBeLessThan(1e-4);
    }
  });

  it('high/layer removes exactly the top floor(0.3 * units) units by UnitMem in each measured layer (partners: mean; qkv: round(0.3 * 16) head dimensions)', () => {
    for (const r of runs.filter((x) => x.label.endsWith('high layer'))) {
      const doc = JSON.parse(readFileSync(join(dir, `${r.model}.unitmem.json`), 'utf8')) as UnitMemResult;
      const measured = doc.layers.filter(
        (l) => l.unitmem.length > 0 && !['residual-add', 'sublayer-output', 'pool'].includes(l.kind),
      );
      expect(measured.length).toBeGreaterThan(0);
      const byName = new Map(doc.layers.map((l) => [l.name, l.unitmem]));
      for (const l of measured) {
        // Partners rank on their mean UnitMem per channel.
        const partners = PARTNERS[r.model].find((ls) => ls.includes(l.name)) ?? [l.name];
        const score = l.unitmem.map((_, u) => partners.reduce((n, p) => n + byName.get(p)![u], 0) / partners.length);
        const top = (v: number[], n: number) =>
          v
            .map((x, u) => [x, u])
            .sort((a, b) => b[0] - a[0] || a[1] - b[1])
            .slice(0, n)
            .map((p) => p[1]);
        let expected = top(score, Math.floor(RATIO * l.units));
        if (l.name.includes('/attn/qkv/')) {
          // 4 heads of 16: dimension j is units s*64 + 16h + j (s = q, k, v; every head h), ranked
          // on their mean
          const units = (j: number) => [0, 64, 128].flatMap((o) => [0, 1, 2, 3].map((h) => o + 16 * h + j));
          const dims = Array.from({ length: 16 }, (_, j) => units(j).reduce((n, u) => n + score[u], 0) / 12);
          expected = top(dims, Math.round(RATIO * 16)).flatMap(units);
        }
        expect(r.structural.removed[l.name] ?? [], l.name).toEqual(expected.sort((a, b) => a - b));
      }
    }
  });
});

describe('the demo CNN at 10% per layer with the default options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-demo10-'));
  const model = join(DEMO, 'ssl-cnn-f.onnx');
  const out = join(dir, 'p.onnx');
  let r: PruneResult;
  beforeAll(async () => {
    r = await pruneModel({ model, strategy: 'l1', ratio: 0.1, scope: 'layer', out });
  }, 120_000);

  it('exports a measurably smaller model: fewer parameters and fewer bytes, every selected unit cut', () => {
    expect(r.settings).toMatchObject({ mode: 'structural', coupling: 'group', attention: 'dims', align: 1 });
    // 16/32/32/32/64/128/128/128 channels: floor(0.1 * units) each, all cut, none masked
    expect(r.layers.map((l) => [l.selected, l.cut, l.masked])).toEqual(
      [1, 3, 3, 3, 6, 12, 12, 12].map((n) => [n, n, 0]),
    );
    expect(r.params.after).toBeLessThan(0.92 * r.params.before);
    expect(r.bytes).toEqual({ before: statSync(model).size, after: statSync(out).size });
    expect(r.bytes.after).toBeLessThan(0.92 * r.bytes.before);
  });

  it.skipIf(missing('onnx'))('the export passes onnx.checker with the parameter count we report', () => {
    expect(checkWithOnnx([out])[out]).toBe(r.params.after);
  });
});
