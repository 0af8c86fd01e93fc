// Optimizer updates against torch.optim (values printed by torch 1.13 in float64 for these exact
// inputs: p0 = [0.5, -1, 2], three steps with the gradients below, lr 0.1, weight decay 0.01).
import { describe, expect, test } from 'vitest';
import { learningRate, Optimizer, DEFAULT_OPTIMIZER } from '../../../src/main/engine/finetune/optim.js';

const GRADS = [
  [0.1, -0.2, 0.3],
  [-0.4, 0.5, 0.05],
  [0.2, 0.2, -0.1],
];

function run(kind: 'adamw' | 'sgd'): number[] {
  const p = Float32Array.from([0.5, -1, 2]);
  const opt = new Optimizer([p], { ...DEFAULT_OPTIMIZER, kind, weightDecay: 0.01 });
  for (const g of GRADS) opt.step([g], 0.1);
  return Array.from(p);
}

describe('optimizers match torch.optim', () => {
  test('AdamW (betas 0.9/0.999, eps 1e-8)', () => {
    const torch = [0.4656131725967926, -0.9956745055929797, 1.7784060949072464];
    run('adamw').forEach((v, i) => expect(v).toBeCloseTo(torch[i], 6));
  });

  test('SGD with momentum 0.9', () => {
    const torch = [0.5260953895, -1.055220779, 1.908108568];
    run('sgd').forEach((v, i) => expect(v).toBeCloseTo(torch[i], 6));
  });
});

describe('learning-rate schedules', () => {
  test('cosine goes from the base rate to half at mid-run to zero', () => {
    expect(learningRate(0.2, { kind: 'cosine' }, 0, 10)).toBeCloseTo(0.2, 12);
    expect(learningRate(0.2, { kind: 'cosine' }, 5, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate(0.2, { kind: 'cosine' }, 10, 10)).toBeCloseTo(0, 12);
  });

  test('step multiplies by gamma every `every` steps', () => {
    expect(learningRate(1, { kind: 'step', every: 3, gamma: 0.1 }, 2, 9)).toBe(1);
    expect(learningRate(1, { kind: 'step', every: 3, gamma: 0.1 }, 3, 9)).toBeCloseTo(0.1, 12);
    expect(learningRate(1, { kind: 'step', every: 3, gamma: 0.1 }, 8, 9)).toBeCloseTo(0.01, 12);
  });
});
