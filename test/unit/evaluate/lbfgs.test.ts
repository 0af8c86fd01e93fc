import { describe, expect, it } from 'vitest';
import { lbfgs } from '../../../src/main/engine/evaluate/lbfgs.js';

describe('lbfgs', () => {
  it('finds the Rosenbrock minimum (1, 1) from the textbook start (-1.2, 1)', () => {
    const r = lbfgs(
      (x, g) => {
        const [a, b] = x;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { gradTol: 1e-9, funcTol: 0 },
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.f).toBeLessThan(1e-12);
  });

  it('solves a diagonal quadratic: x_i = b_i / d_i', () => {
    const d = [1, 10, 100, 1000];
    const b = [1, -2, 3, -4];
    const r = lbfgs(
      (x, g) => {
        let f = 0;
        for (let i = 0; i < 4; i++) {
          g[i] = d[i] * x[i] - b[i];
          f += 0.5 * d[i] * x[i] * x[i] - b[i] * x[i];
        }
        return f;
      },
      new Float64Array(4),
      { gradTol: 1e-10, funcTol: 0 },
    );
    expect(r.stop).toBe('gradient');
    for (let i = 0; i < 4; i++) expect(r.x[i]).toBeCloseTo(b[i] / d[i], 9);
  });

  it('reports max-iterations when stopped early', () => {
    const r = lbfgs(
      (x, g) => {
        g[0] = 2 * (x[0] - 3);
        return (x[0] - 3) ** 2;
      },
      new Float64Array(1),
      { maxIterations: 0 },
    );
    expect(r).toMatchObject({ stop: 'max-iterations', converged: false, iterations: 0 });
  });
});
