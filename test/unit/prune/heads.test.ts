// Attention heads of the fixture ViT (scripts/make-prune-fixtures.py: 2 blocks, width 16, 2 heads of
// 8, fused qkv Linear): cutting a head equals masking it, and the mask zeroes exactly its q/k/v rows
// and the output projection's columns that read it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexModel, loadModel, tensorToFloat32 } from '../../../src/main/engine/onnx/index.js';
import type { PruneRequest } from '../../../src/shared/api.js';
import { pruneModel } from '../../../src/main/engine/prune/export.js';
import { buildGroups } from '../../../src/main/engine/prune/groups.js';
import { findLayers, paramTensor } from '../../../src/main/engine/prune/layers.js';
import { embed, fashionBatch, fixture, handScores, maxAbsDiff } from './support.js';

const QKV = (b: number) => `/blocks/blocks.${b}/attn/qkv/MatMul`;
const PROJ = (b: number) => `/blocks/blocks.${b}/attn/proj/MatMul`;

/** `high` on hand-made scores, scope layer, ranking only the `include`d layers (the attention alone is cut). */
async function attentionRequest(name: string, ratio: number, include: string[]): Promise<PruneRequest> {
  const { layers } = await layersOf(fixture(name));
  const scores = await handScores(fixture(name), layers);
  return { model: fixture(name), scores, strategy: 'high', scope: 'layer', ratio, include };
}

/** The structural and the mask export of one request, and their embeddings of 6 Fashion-MNIST images with the original's. */
async function cutAndMask(req: PruneRequest) {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-heads-'));
  const files = [join(dir, 's.onnx'), join(dir, 'm.onnx')];
  const s = await pruneModel({ ...req, out: files[0] });
  await pruneModel({ ...req, mode: 'mask', out: files[1] });
  const x = fashionBatch(6);
  const [cut, masked, original] = [await embed(files[0], x), await embed(files[1], x), await embed(req.model, x)];
  return { s, files, cut, masked, original };
}

async function layersOf(path: string) {
  const model = await loadModel(path);
  const index = indexModel(model.proto);
  return { model, index, layers: findLayers(model, index) };
}

describe('attention heads of the fixture ViT (--attention heads)', () => {
  it('a fused qkv layer is a group of 2 heads: q, k and v rows of 8 units each, and 8 rows of the output projection', async () => {
    const { index, layers } = await layersOf(fixture('vit'));
    const groups = buildGroups(index, layers, 'heads');
    for (const b of [0, 1]) {
      const g = groups.find((x) => x.heads && x.sources[0].layer.name === QKV(b))!;
      expect(g.blocked).toBeUndefined();
      expect(g.channels).toBe(2);
      expect(g.sources.map((s) => s.map)).toEqual([0, 16, 32].map((offset) => ({ offset, block: 8, inner: 1 })));
      const proj = layers.find((l) => l.name === PROJ(b))!;
      expect(g.slices.filter((s) => s.param === proj.weight)).toEqual([
        { param: proj.weight, axis: 0, offset: 0, block: 8, inner: 1 },
      ]);
      expect(g.slices.filter((s) => s.param === `blocks.${b}.attn.qkv.bias`).map((s) => s.offset)).toEqual([0, 16, 32]);
      expect(g.heads!.count).toBe(2);
      expect(g.heads!.counts).toEqual([`/blocks/blocks.${b}/attn/Constant_5_output_0`]);
    }
  });

  it('cutting a head (50%, high) embeds like masking it (1e-4); the mask zeroes its q/k/v rows and projection columns', async () => {
    const req = await attentionRequest('vit', 0.5, [QKV(0), QKV(1)]);
    const { s, files, cut, masked, original } = await cutAndMask({ ...req, attention: 'heads' });
    expect(s.groups.filter((g) => g.mode === 'mask')).toEqual([]);
    expect(s.notes).toEqual([
      `${QKV(0)} loses 1 of the 2 attention heads`,
      `${QKV(1)} loses 1 of the 2 attention heads`,
    ]);
    expect(s.layers.map((l) => [l.name, l.selected, l.cut])).toEqual([
      [QKV(0), 24, 24],
      [QKV(1), 24, 24],
    ]);
    // Each block loses a head: 24 qkv columns of 16 weights and 24 biases, 8 rows of 16 in proj.
    expect(s.params.before - s.params.after).toBe(2 * (24 * 16 + 24 + 8 * 16));
    expect(maxAbsDiff(cut, masked)).toBeLessThan(1e-4);
    expect(maxAbsDiff(cut, original)).toBeGreaterThan(1e-3);

    const m = await layersOf(files[1]);
    for (const b of [0, 1]) {
      const head = s.removed[QKV(b)];
      const h = head[0] / 8; // the cut head: its q units are 8h..8h+7
      expect(head).toEqual([0, 16, 32].flatMap((o) => Array.from({ length: 8 }, (_, j) => o + 8 * h + j)));
      const qkv = m.layers.find((l) => l.name === QKV(b))!;
      const w = tensorToFloat32(paramTensor(m.index, qkv.weight)!); // [16, 48]: column u is unit u
      const proj = m.layers.find((l) => l.name === PROJ(b))!;
      const p = tensorToFloat32(paramTensor(m.index, proj.weight)!); // [16, 16]: row r reads attention unit r
      for (let r = 0; r < 16; r++) {
        for (let u = 0; u < 48; u++) expect(w[r * 48 + u] === 0, `qkv ${b} [${r}, ${u}]`).toBe(head.includes(u));
        for (let c = 0; c < 16; c++)
          expect(p[r * 16 + c] === 0, `proj ${b} [${r}, ${c}]`).toBe(Math.floor(r / 8) === h);
      }
    }
  });
});

describe('attention head dimensions of the fixture ViT (--attention dims, the default)', () => {
  it('a fused qkv layer is a group of 8 dimensions: unit j of each of the 2 heads of q, k and v, and the projection rows that read them', async () => {
    const { index, layers } = await layersOf(fixture('vit'));
    const groups = buildGroups(index, layers);
    for (const b of [0, 1]) {
      const g = groups.find((x) => x.heads && x.sources[0].layer.name === QKV(b))!;
      expect(g.blocked).toBeUndefined();
      expect(g.channels).toBe(8);
      expect(g.sources.map((s) => s.map.offset)).toEqual([0, 8, 16, 24, 32, 40]);
      expect(g.sources.every((s) => s.map.block === 1)).toBe(true);
      const proj = layers.find((l) => l.name === PROJ(b))!;
      expect(g.slices.filter((s) => s.param === proj.weight).map((s) => [s.axis, s.offset, s.block])).toEqual([
        [0, 0, 1],
        [0, 8, 1],
      ]);
      expect(g.heads).toMatchObject({ unit: 'dims', count: 2, size: 8 });
      expect(g.heads!.sizes.length).toBeGreaterThan(0);
    }
  });

  it('cutting 3 of 8 dimensions per head (0.375, high) embeds like masking them (1e-4): the same dims of every head of q, k and v', async () => {
    const { s, cut, masked, original } = await cutAndMask(await attentionRequest('vit', 0.375, [QKV(0), QKV(1)]));
    expect(s.settings).toMatchObject({ attention: 'dims' });
    expect(s.groups.filter((g) => g.mode === 'mask')).toEqual([]);
    expect(s.notes).toContain(`${QKV(0)} loses 3 of the 8 head dimensions in each of its 2 heads`);
    expect(s.layers.map((l) => [l.name, l.selected, l.cut])).toEqual([
      [QKV(0), 18, 18],
      [QKV(1), 18, 18],
    ]);
    // Per block: 18 qkv columns of 16 weights and 18 biases, 6 rows of 16 in proj.
    expect(s.params.before - s.params.after).toBe(2 * (18 * 16 + 18 + 6 * 16));
    for (const b of [0, 1]) {
      const units = s.removed[QKV(b)];
      const dims = units.filter((u) => u < 8);
      expect(units).toEqual([0, 8, 16, 24, 32, 40].flatMap((o) => dims.map((d) => o + d)));
    }
    expect(maxAbsDiff(cut, masked)).toBeLessThan(1e-4);
    expect(maxAbsDiff(cut, original)).toBeGreaterThan(1e-3);
  });
});

describe('separate q, k and v projections (the vitqkv fixture: width 24, 3 heads of 8)', () => {
  const P = (b: number, p: string) => `/blocks/blocks.${b}/attn/${p}/MatMul`;

  it('q, k and v are one group: unit j of each head of each of them, and the projection rows', async () => {
    const { index, layers } = await layersOf(fixture('vitqkv'));
    for (const unit of ['dims', 'heads'] as const) {
      const groups = buildGroups(index, layers, unit);
      for (const b of [0, 1]) {
        const g = groups.find((x) => x.heads && x.sources[0].layer.name === P(b, 'q'))!;
        expect(g.blocked).toBeUndefined();
        expect([...new Set(g.sources.map((s) => s.layer.name))]).toEqual([P(b, 'q'), P(b, 'k'), P(b, 'v')]);
        expect(g.channels).toBe(unit === 'dims' ? 8 : 3);
        expect(g.sources.map((s) => s.map.offset)).toEqual(
          unit === 'dims' ? [0, 8, 16, 0, 8, 16, 0, 8, 16] : [0, 0, 0],
        );
      }
    }
  });

  for (const [attention, ratio, cut] of [
    ['dims', 0.25, 2],
    ['heads', 0.34, 1],
  ] as const) {
    it(`cutting ${attention} (${ratio}, high) embeds like masking them (1e-4), the same units of q, k and v`, async () => {
      const qkv = [0, 1].flatMap((b) => ['q', 'k', 'v'].map((p) => P(b, p)));
      const req = await attentionRequest('vitqkv', ratio, qkv);
      const { s, cut: a, masked: m, original } = await cutAndMask({ ...req, attention });
      expect(s.groups.filter((g) => g.mode === 'mask')).toEqual([]);
      // 24 units per projection: `cut` dimensions of 3 heads, or `cut` heads of 8.
      const units = attention === 'dims' ? 3 * cut : 8 * cut;
      expect(s.layers.map((l) => [l.name, l.cut])).toEqual(qkv.map((n) => [n, units]));
      for (const b of [0, 1]) {
        expect(s.removed[P(b, 'k')]).toEqual(s.removed[P(b, 'q')]);
        expect(s.removed[P(b, 'v')]).toEqual(s.removed[P(b, 'q')]);
      }
      // Per block: 3 projections lose `units` columns of 24 and their biases; proj loses `units` rows of 24.
      expect(s.params.before - s.params.after).toBe(2 * (3 * units * 25 + units * 24));
      expect(maxAbsDiff(a, m)).toBeLessThan(1e-4);
      expect(maxAbsDiff(a, original)).toBeGreaterThan(1e-3);
    });
  }
});
