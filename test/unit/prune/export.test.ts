import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PruneResult, PruneStrategy, UnitMemResult } from '../../../src/shared/api.js';
import { indexModel, loadModel } from '../../../src/main/engine/onnx/index.js';
import { alignedCut } from '../../../src/main/engine/prune/apply.js';
import { pruneModel } from '../../../src/main/engine/prune/export.js';
import { findLayers } from '../../../src/main/engine/prune/layers.js';
import { missing } from '../../support/references.js';
import { checkWithOnnx, embed, fashionBatch, fixture, handScores, maxAbsDiff } from './support.js';

// Parameter counts after cutting, written from the fixtures' PyTorch definitions
// (scripts/make-prune-fixtures.py) as functions of the surviving channel counts. `cut(C, layers)` is
// the number of channels cut from a group of C: those selected in every coupled source layer, fewer
// where needed so that a multiple of 8 (when C is one) remains (align 8: the fixtures are narrow).
type Cut = (channels: number, ...layers: string[]) => number;
const EXPECTED_PARAMS: Record<string, (cut: Cut) => number> = {
  cnn: (cut) => {
    const p = 4 - cut(4, '/prep/prep.0/Conv');
    const a = 6 - cut(6, '/layer1/layer1.0/Conv', '/res1/res1.1/res1.1.0/Conv'); // residual Add partners
    const r = 6 - cut(6, '/res1/res1.0/res1.0.0/Conv');
    const b = 8 - cut(8, '/layer2/layer2.0/Conv');
    // conv k3 with (folded BN) bias: cout*cin*9 + cout; head Linear(b, 5) is the output: never cut
    return p * 9 + p + (a * p * 9 + a) + (r * a * 9 + r) + (a * r * 9 + a) + (b * a * 9 + b) + (5 * b + 5);
  },
  branches: (cut) => {
    const c = 6 - cut(6, '/conv1/Conv'); // dw follows conv1
    const A = 4 - cut(4, '/a/Conv');
    const B = 3 - cut(3, '/b/Conv');
    const f = 5 - cut(5, '/conv5/Conv');
    const bn = 4 * c; // weight, bias, running mean, running var
    // conv3 (consumer of grouped conv) and grouped conv are masked only
    return (
      c * 9 +
      c +
      bn +
      (c * 9 + c) +
      (A * c + A) +
      (B * c * 9 + B) +
      (6 * (A + B) * 9 + 6) +
      (4 * 3 * 9 + 4) +
      (f * 4 + f) +
      (6 * f * 16 + 6)
    );
  },
  vit: (cut) => {
    // per block, each fc1 neuron is 16 weights + 1 bias in fc1 and a row of 16 in fc2
    return 5440 - 33 * (cut(32, '/blocks/blocks.0/fc1/MatMul') + cut(32, '/blocks/blocks.1/fc1/MatMul'));
  },
};
const MODELS = Object.keys(EXPECTED_PARAMS);
const STRATEGIES: PruneStrategy[] = ['high', 'low', 'random', 'l1'];
const SCOPES = ['layer', 'global'] as const;
const RATIO = 0.4;

interface Run {
  model: string;
  strategy: PruneStrategy;
  scope: 'layer' | 'global';
  structural: PruneResult;
  mask: PruneResult;
  files: { structural: string; mask: string };
}

describe('pruneModel on the fixtures: every strategy x scope x mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-'));
  const runs: Run[] = [];
  const scores: Record<string, UnitMemResult> = {};
  const x = fashionBatch(8);
  let headParams = -1;

  beforeAll(async () => {
    for (const model of MODELS) {
      const loaded = await loadModel(fixture(model));
      scores[model] = await handScores(fixture(model), findLayers(loaded, indexModel(loaded.proto)));
      for (const strategy of STRATEGIES) {
        for (const scope of SCOPES) {
          const files = {
            structural: join(dir, `${model}-${strategy}-${scope}-s.onnx`),
            mask: join(dir, `${model}-${strategy}-${scope}-m.onnx`),
          };
          // The options before the defaults changed (each layer ranked alone, the output kept): the
          // hand-written counts above are for them; the defaults are tested below.
          const req = {
            model: fixture(model),
            scores: scores[model],
            strategy,
            scope,
            ratio: RATIO,
            seed: 5,
            align: 8,
            coupling: 'intersection' as const,
            keepOutput: true,
          };
          const structural = await pruneModel({ ...req, mode: 'structural', out: files.structural });
          const mask = await pruneModel({ ...req, mode: 'mask', out: files.mask });
          runs.push({ model, strategy, scope, structural, mask, files });
        }
      }
    }
  }, 120_000);

  it.skipIf(missing('onnx'))(
    'every export passes onnx.checker full_check, and Python counts the parameters we report',
    () => {
      const checked = checkWithOnnx(runs.flatMap((r) => [r.files.structural, r.files.mask]));
      for (const r of runs) {
        expect(checked[r.files.structural], r.files.structural).toBe(r.structural.params.after);
        expect(checked[r.files.mask], r.files.mask).toBe(r.mask.params.before);
      }
    },
  );

  it('structural exports lose exactly the parameters of the cut channels', () => {
    for (const r of runs) {
      const sel = (l: string) => new Set(r.structural.removed[l] ?? []);
      const cut: Cut = (channels, ...layers) => {
        const agreed = [...sel(layers[0])].filter((u) => layers.every((l) => sel(l).has(u))).length;
        return channels % 8 ? agreed : Math.max(0, channels - Math.ceil((channels - agreed) / 8) * 8);
      };
      expect(r.structural.params.after, `${r.model} ${r.strategy} ${r.scope}`).toBe(EXPECTED_PARAMS[r.model](cut));
      expect(r.structural.params.after).toBeLessThan(r.structural.params.before);
      expect(r.structural.flops.after).toBeLessThan(r.structural.flops.before);
    }
  });

  it('structural and mask exports give the same embeddings on real images (1e-4)', async () => {
    for (const r of runs) {
      const [s, m] = [await embed(r.files.structural, x), await embed(r.files.mask, x)];
      expect(maxAbsDiff(s, m), `${r.model} ${r.strategy} ${r.scope}`).toBeLessThan(1e-4);
    }
  });

  it('the mask export zeroes every selected unit and removes nothing; same selection in both modes', () => {
    for (const r of runs) {
      expect(r.mask.removed).toEqual(r.structural.removed);
      expect(r.mask.groups.every((g) => g.mode === 'mask')).toBe(true);
      const masked = r.mask.groups.reduce((n, g) => n + g.units, 0);
      expect(masked).toBe(Object.values(r.mask.removed).reduce((n, u) => n + u.length, 0));
    }
  });

  it('high at ratio r removes exactly the top floor(r*units) UnitMem units per layer, ties by index', () => {
    for (const r of runs.filter((x) => x.strategy === 'high' && x.scope === 'layer')) {
      for (const l of scores[r.model].layers) {
        const top = l.unitmem
          .map((v, u) => [v, u])
          .sort((a, b) => b[0] - a[0] || a[1] - b[1])
          .slice(0, Math.floor(RATIO * l.units))
          .map((p) => p[1]);
        expect(r.structural.removed[l.name] ?? [], l.name).toEqual(top.sort((a, b) => a - b));
      }
    }
  });

  it('global scope ranks UnitMem across layers: every removed unit scores at least every kept one', () => {
    for (const r of runs.filter((x) => x.strategy === 'high' && x.scope === 'global')) {
      const layers = scores[r.model].layers;
      const total = layers.reduce((n, l) => n + l.units, 0);
      const removed = layers.flatMap((l) => (r.structural.removed[l.name] ?? []).map((u) => l.unitmem[u]));
      const kept = layers.flatMap((l) => l.unitmem.filter((_, u) => !(r.structural.removed[l.name] ?? []).includes(u)));
      expect(removed.length).toBe(Math.floor(RATIO * total));
      expect(Math.min(...removed)).toBeGreaterThanOrEqual(Math.max(...kept));
      // not the per-layer quota: some layer loses more than floor(r*units)
      expect(layers.some((l) => (r.structural.removed[l.name] ?? []).length !== Math.floor(RATIO * l.units))).toBe(
        true,
      );
    }
  });

  it('the output layer is cut by default (the embedding narrows), masked with the reason under keepOutput', async () => {
    const r = runs.find((x) => x.model === 'cnn' && x.strategy === 'high' && x.scope === 'layer')!;
    const head = r.structural.groups.find((g) => g.layers.includes('/head/Gemm'))!;
    expect(head.mode).toBe('mask');
    expect(head.reason).toBe('feeds the model output embedding, whose dimension was asked to stay (keep output)');
    const cut = await pruneModel({
      model: fixture('cnn'),
      strategy: 'random',
      scope: 'layer',
      ratio: 0.4,
      include: ['/head/Gemm'],
      out: join(dir, 'head.onnx'),
    });
    expect(cut.groups).toEqual([{ layers: ['/head/Gemm'], units: 2, mode: 'structural' }]);
    expect(cut.notes).toEqual([
      'the model output embedding loses 2 of its 5 channels: the embedding dimension changes (keep output masks them instead)',
    ]);
    expect((await embed(join(dir, 'head.onnx'), x)).length).toBe(8 * 3);
    headParams = cut.params.after;
  });

  it.skipIf(missing('onnx'))(
    'the export that cuts the output layer passes onnx.checker with the parameters we report',
    () => {
      expect(checkWithOnnx([join(dir, 'head.onnx')])[join(dir, 'head.onnx')]).toBe(headParams);
    },
  );
});

describe('random strategy', () => {
  it('is reproducible per seed and changes with the seed', async () => {
    const run = (seed: number) =>
      pruneModel({ model: fixture('cnn'), strategy: 'random', scope: 'global', ratio: 0.3, seed });
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a.removed).toEqual(b.removed);
    expect(a.removed).not.toEqual(c.removed);
    expect(a.settings.seed).toBe(1);
  });
});

describe('request checks', () => {
  // The engine's own check: the app and serve reach pruneModel without the CLI's option parsing.
  const base = { model: fixture('cnn'), strategy: 'random' as const, scope: 'layer' as const, ratio: 0.3 };
  it.each([
    ['scope', { scope: 'all' }, "unknown scope 'all' (layer, global)"],
    ['mode', { mode: 'zero' }, "unknown mode 'zero' (structural, mask)"],
    ['coupling', { coupling: 'union' }, "unknown coupling 'union' (group, intersection)"],
    ['attention', { attention: 'rows' }, "unknown attention 'rows' (dims, heads)"],
  ])('refuses an unknown %s in one line', async (_field, bad, message) => {
    const req = { ...base, ...bad } as unknown as Parameters<typeof pruneModel>[0];
    await expect(pruneModel(req)).rejects.toThrow(message);
  });
});

describe('as a job', () => {
  it('reports its stages and, once cancelled, stops before writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-job-'));
    const stages: string[] = [];
    const ctrl = new AbortController();
    const req = {
      model: fixture('cnn'),
      strategy: 'l1' as const,
      scope: 'layer' as const,
      ratio: 0.3,
      out: join(dir, 'p.onnx'),
    };
    await pruneModel(req, { onProgress: (_d, _t, stage) => stages.push(stage) });
    expect(stages).toEqual(['load', 'plan', 'write', 'write']);
    const again = pruneModel(
      { ...req, out: join(dir, 'q.onnx') },
      {
        signal: ctrl.signal,
        onProgress: (_d, _t, stage) => stage === 'plan' && ctrl.abort(),
      },
    );
    await expect(again).rejects.toThrow('cancelled');
    expect(readdirSync(dir).sort()).toEqual(['p.onnx', 'p.prune.json']);
  });
});

describe('channel alignment', () => {
  it('alignedCut keeps a multiple of align channels when the group had one', () => {
    expect(alignedCut(64, 19, 8)).toBe(16); // 45 left -> 48
    expect(alignedCut(64, 16, 8)).toBe(16);
    expect(alignedCut(8, 3, 8)).toBe(0);
    expect(alignedCut(6, 3, 8)).toBe(3); // 6 is no multiple of 8: cut as selected
    expect(alignedCut(64, 19, 1)).toBe(19);
  });

  it('leftover selected channels are masked with the reason; align 1 (the default) cuts them all', async () => {
    const req = {
      model: fixture('cnn'),
      strategy: 'l1' as const,
      scope: 'layer' as const,
      ratio: 0.4,
      include: ['/layer2/layer2.0/Conv'],
      align: 8,
    };
    const aligned = await pruneModel(req);
    expect(aligned.groups).toEqual([
      {
        layers: ['/layer2/layer2.0/Conv'],
        units: 3,
        mode: 'mask',
        reason: expect.stringMatching(/multiple of 8 channels/),
      },
    ]);
    expect(aligned.params.after).toBe(aligned.params.before);
    expect(aligned.notes).toEqual([
      expect.stringMatching(/^structural pruning cut nothing: all 3 selected units were masked/),
    ]);
    expect(aligned.layers.find((l) => l.name === '/layer2/layer2.0/Conv')).toEqual({
      name: '/layer2/layer2.0/Conv',
      units: 8,
      selected: 3,
      cut: 0,
      masked: 3,
    });
    const exact = await pruneModel({ ...req, align: undefined });
    expect(exact.settings.align).toBe(1);
    expect(exact.layers.find((l) => l.name === '/layer2/layer2.0/Conv')).toEqual({
      name: '/layer2/layer2.0/Conv',
      units: 8,
      selected: 3,
      cut: 3,
      masked: 0,
    });
    expect(exact.groups).toEqual([{ layers: ['/layer2/layer2.0/Conv'], units: 3, mode: 'structural' }]);
    // layer2 (8 -> 5 channels, k3 over 6 inputs + bias) and the head's 5 inputs: 3 * (6*9 + 1 + 5)
    expect(exact.params.before - exact.params.after).toBe(3 * (6 * 9 + 1 + 5));
  });
});

describe('coupling group', () => {
  it('ranks residual partners on their mean UnitMem, so they lose the same channels', async () => {
    const model = await loadModel(fixture('cnn'));
    const scores = await handScores(fixture('cnn'), findLayers(model, indexModel(model.proto)));
    const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-coupling-'));
    const req = {
      model: fixture('cnn'),
      scores,
      strategy: 'high' as const,
      scope: 'layer' as const,
      ratio: 0.5,
      keepOutput: true,
    };
    const cut = await pruneModel({ ...req, out: join(dir, 's.onnx') });
    await pruneModel({ ...req, mode: 'mask', out: join(dir, 'm.onnx') });
    // layer1 is scored layer k=1, res1.1 k=3: ((7u+3)%10 + (7u+9)%10) / 20 for u = 0..5
    // = [0.6, 0.3, 0.5, 0.2, 0.4, 0.6]: top 3 (ties by index) = 0, 5, 2
    expect(cut.removed['/layer1/layer1.0/Conv']).toEqual([0, 2, 5]);
    expect(cut.removed['/res1/res1.1/res1.1.0/Conv']).toEqual([0, 2, 5]);
    expect(cut.groups).toContainEqual({
      layers: ['/layer1/layer1.0/Conv', '/res1/res1.1/res1.1.0/Conv'],
      units: 3,
      mode: 'structural',
    });
    expect(cut.settings.coupling).toBe('group'); // the default
    const x = fashionBatch(4);
    expect(maxAbsDiff(await embed(join(dir, 's.onnx'), x), await embed(join(dir, 'm.onnx'), x))).toBeLessThan(1e-4);
  });
});
