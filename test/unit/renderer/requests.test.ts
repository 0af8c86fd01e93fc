import { describe, expect, it } from 'vitest';
import type { ProjectInfo, UnitMemResult } from '../../../src/shared/api.js';
import {
  compareRequest,
  finetuneRequest,
  PRUNE_FORM,
  pruneRequest,
  unitmemRequest,
} from '../../../src/renderer/src/lib/requests.js';

const project = {
  path: '/p/demo.memlens.json',
  name: 'demo',
  model: '/p/f.onnx',
  reference: '/p/g.onnx',
  data: { candidates: '/p/c.gz', train: '/p/train.gz', test: '/p/test.gz' },
  normalization: { mean: [0.286], std: [0.353] },
  augment: { kind: 'simclr' },
} as unknown as ProjectInfo;
const scores = { schema: 'memlens.unitmem/1' } as UnitMemResult;
const form = PRUNE_FORM;

describe('requests built from the project', () => {
  it("carry the project's data and normalization", () => {
    expect(unitmemRequest(project, 4)).toEqual({
      model: '/p/f.onnx',
      data: '/p/c.gz',
      views: 4,
      augment: { kind: 'simclr' },
      activation: 'rate',
      mean: [0.286],
      std: [0.353],
    });
    expect(unitmemRequest(project, 4, 'raw').activation).toBe('raw');
  });

  it('prune sends UnitMem scores only to the strategies that use them, and writes only with `out`', () => {
    // The engine's defaults, sent explicitly: what the screen shows is what runs.
    expect(pruneRequest(project, form, scores)).toEqual({
      model: '/p/f.onnx',
      strategy: 'low',
      scope: 'layer',
      ratio: 0.2,
      mode: 'structural',
      seed: 0,
      coupling: 'group',
      attention: 'dims',
      embeddingWidth: false,
      align: 1,
      keepOutput: false,
      scores,
    });
    expect(pruneRequest(project, { ...form, exclude: ['fc'] }, scores).exclude).toEqual(['fc']);
    expect(pruneRequest(project, { ...form, strategy: 'l1' }, scores, '/o.onnx')).not.toHaveProperty('scores');
    expect(pruneRequest(project, { ...form, strategy: 'l1' }, scores, '/o.onnx').out).toBe('/o.onnx');
    expect(() => pruneRequest(project, form, undefined)).toThrow(
      "strategy 'low' needs UnitMem: compute it on the Layers screen first",
    );
  });

  it('compare needs strategies and labelled splits, and leaves the reference out', () => {
    const withControl = { ...project, data: { ...project.data, control: '/p/control.gz' } };
    const r = compareRequest(withControl, ['low', 'high'], [0.2], ['layer'], 'knn', 4);
    expect(r).toMatchObject({
      data: '/p/c.gz',
      train: '/p/train.gz',
      test: '/p/test.gz',
      strategies: ['low', 'high'],
      project: '/p/demo.memlens.json',
    });
    expect([r.reference, r.control]).toEqual(['/p/g.onnx', '/p/control.gz']);
    // The SSLMem gap needs both: a reference alone is not sent (the engine would refuse it).
    expect(compareRequest(project, ['low'], [0.2], ['layer'], 'knn', 4)).not.toHaveProperty('reference');
    expect(
      compareRequest({ ...withControl, reference: undefined }, ['low'], [0.2], ['layer'], 'knn', 4),
    ).not.toHaveProperty('reference');
    expect(() => compareRequest(project, [], [0.2], ['layer'], 'knn', 4)).toThrow('choose at least one strategy');
    const noTrain = { ...project, data: { candidates: '/p/c.gz' } };
    expect(() => compareRequest(noTrain, ['low'], [0.2], ['layer'], 'knn', 4)).toThrow(
      'project demo has no train data; add it to /p/demo.memlens.json',
    );
  });

  it('fine-tune names the chosen layers, comma-separated', () => {
    expect(finetuneRequest(project, ['/a/Conv', '/b/Conv'], 2, 0.001).layers).toBe('/a/Conv,/b/Conv');
    expect(() => finetuneRequest(project, [], 2, 0.001)).toThrow('choose at least one layer to fine-tune');
  });
});
