import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Labelled } from '../../../src/main/engine/evaluate/features.js';
import { knnPredict } from '../../../src/main/engine/evaluate/knn.js';
import { probeProbabilities, probePredict, trainLinearProbe } from '../../../src/main/engine/evaluate/linear-probe.js';

// Reference: scikit-learn LogisticRegression and a numpy weighted kNN (scripts/reference-probe.py small).
const ref = JSON.parse(readFileSync(new URL('./fixtures/small-problem.json', import.meta.url), 'utf8'));

function labelled(x: number[][], y: number[]): Labelled {
  return { rows: x.length, dim: x[0].length, data: Float32Array.from(x.flat()), labels: Int32Array.from(y) };
}

describe('linear probe', () => {
  const train = labelled(ref.train.x, ref.train.y);
  const test = labelled(ref.test.x, ref.test.y);

  it('matches scikit-learn weights, bias and probabilities on the small problem', () => {
    const probe = trainLinearProbe(train, ref.classes, { weightDecay: ref.linear.weightDecay, gradTol: 1e-9 });
    expect(probe.fit.converged).toBe(true);
    // float32 storage of the inputs limits agreement to ~1e-6 relative.
    ref.linear.mean.forEach((m: number, j: number) => expect(probe.standardizer.mean[j]).toBeCloseTo(m, 5));
    ref.linear.std.forEach((s: number, j: number) => expect(probe.standardizer.std[j]).toBeCloseTo(s, 5));
    ref.linear.weights.flat().forEach((w: number, k: number) => expect(probe.weights[k]).toBeCloseTo(w, 5));
    ref.linear.bias.forEach((b: number, c: number) => expect(probe.bias[c]).toBeCloseTo(b, 5));
    const p = probeProbabilities(probe, test);
    ref.linear.testProbabilities.flat().forEach((q: number, k: number) => expect(p[k]).toBeCloseTo(q, 5));
    const pred = probePredict(probe, test);
    const acc = pred.filter((c, i) => c === test.labels[i]).length / test.rows;
    expect(acc).toBeCloseTo(ref.linear.testAccuracy, 10);
  });

  it('separates a linearly separable problem perfectly', () => {
    // Two classes split by x0 + x1 > 0 with a margin, plus a nuisance feature.
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = ((i * 37) % 101) / 50 - 1;
      const b = ((i * 53) % 97) / 48 - 1;
      const s = a + b;
      if (Math.abs(s) < 0.1) continue;
      x.push([a, b, ((i * 11) % 7) - 3]);
      y.push(s > 0 ? 1 : 0);
    }
    const data = labelled(x, y);
    const probe = trainLinearProbe(data, 2, { weightDecay: 1e-4 });
    const pred = probePredict(probe, data);
    expect(pred.every((c, i) => c === y[i])).toBe(true);
  });
});

describe('kNN probe', () => {
  it('matches the numpy reference predictions on the small problem', () => {
    const pred = knnPredict(labelled(ref.train.x, ref.train.y), labelled(ref.test.x, ref.test.y), ref.classes, {
      k: ref.knn.k,
      temperature: ref.knn.temperature,
    });
    expect(Array.from(pred)).toEqual(ref.knn.testPredictions);
  });

  it('weights votes by exp(sim / T): two close neighbours outvote three far ones', () => {
    // Query along (1, 0). Class 0 at cos 1.0 and 0.98; class 1 three rows at cos 0.6.
    // T = 0.07: 2 e^(~14) >> 3 e^(8.6), so class 0 wins; with T = 100 weights are ~equal: class 1.
    const c = (cos: number) => [cos, Math.sqrt(1 - cos * cos)];
    const train = labelled([c(1), c(0.98), c(0.6), c(0.6), c(0.6)], [0, 0, 1, 1, 1]);
    const query = labelled([[2, 0]], [0]);
    expect(knnPredict(train, query, 2, { k: 5, temperature: 0.07 })[0]).toBe(0);
    expect(knnPredict(train, query, 2, { k: 5, temperature: 100 })[0]).toBe(1);
    // k = 1 uses only the nearest row.
    expect(knnPredict(train, query, 2, { k: 1, temperature: 100 })[0]).toBe(0);
  });
});
