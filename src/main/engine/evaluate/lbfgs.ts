// Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4 two-loop recursion)
// with a backtracking Armijo line search using safeguarded quadratic interpolation (N&W 3.5).
// Deterministic: same start, same function -> same iterates.

/** Writes the gradient at x into `grad` and returns f(x); must not keep references to either. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Pairs of (s, y) kept; 10 is the usual choice (scipy, minFunc). */
  memory?: number;
  maxIterations?: number;
  /** Stop when max |grad| <= gradTol. */
  gradTol?: number;
  /** Stop when the relative decrease of f in one iteration is <= funcTol (scipy's ftol). */
  funcTol?: number;
  /** Called once per iteration; throwing aborts the run (used for cancellation). */
  onIteration?: (iteration: number, f: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** Why it stopped: 'gradient' | 'function' | 'line-search' | 'max-iterations'. */
  stop: 'gradient' | 'function' | 'line-search' | 'max-iterations';
}

const ARMIJO_C1 = 1e-4;
const MAX_BACKTRACKS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

export function lbfgs(objective: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const m = opts.memory ?? 10;
  const maxIt = opts.maxIterations ?? 500;
  const gradTol = opts.gradTol ?? 1e-6;
  const funcTol = opts.funcTol ?? 1e-10;
  const n = x0.length;

  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const dir = new Float64Array(n);
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let stored = 0;
  let head = 0; // slot of the next pair to write (ring buffer)

  let f = objective(x, g);
  let evaluations = 1;
  const done = (iterations: number, stop: LbfgsResult['stop']): LbfgsResult => ({
    x,
    f,
    iterations,
    evaluations,
    converged: stop === 'gradient' || stop === 'function',
    stop,
  });
  if (maxAbs(g) <= gradTol) return done(0, 'gradient');

  for (let it = 1; it <= maxIt; it++) {
    // Two-loop recursion: dir = -H g, with H0 = (s'y / y'y) I from the newest pair.
    for (let i = 0; i < n; i++) dir[i] = -g[i];
    for (let k = 0; k < stored; k++) {
      const j = (head - 1 - k + m) % m;
      alpha[j] = rho[j] * dot(S[j], dir);
      const y = Y[j];
      for (let i = 0; i < n; i++) dir[i] -= alpha[j] * y[i];
    }
    if (stored > 0) {
      const j = (head - 1 + m) % m;
      const gamma = 1 / (rho[j] * dot(Y[j], Y[j]));
      for (let i = 0; i < n; i++) dir[i] *= gamma;
    }
    for (let k = stored - 1; k >= 0; k--) {
      const j = (head - 1 - k + m) % m;
      const beta = rho[j] * dot(Y[j], dir);
      const s = S[j];
      for (let i = 0; i < n; i++) dir[i] += (alpha[j] - beta) * s[i];
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }

    // First step has no curvature information: scale so the step length is 1.
    let step = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fNew = NaN;
    let accepted = false;
    for (let b = 0; b < MAX_BACKTRACKS; b++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
      fNew = objective(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + ARMIJO_C1 * step * slope) {
        accepted = true;
        break;
      }
      // Minimizer of the quadratic through f(0), f'(0), f(step), kept within [0.1, 0.5] * step.
      const q = Number.isFinite(fNew) ? (-slope * step * step) / (2 * (fNew - f - slope * step)) : 0.1 * step;
      step = Math.min(0.5 * step, Math.max(0.1 * step, q));
    }
    if (!accepted) return done(it - 1, 'line-search');

    const slot = head;
    const s = S[slot];
    const y = Y[slot];
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const ys = dot(y, s);
    // Keep the pair only if it has positive curvature, so H stays positive definite.
    if (ys > 1e-12 * dot(y, y)) {
      rho[slot] = 1 / ys;
      head = (head + 1) % m;
      stored = Math.min(stored + 1, m);
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    opts.onIteration?.(it, f);
    if (maxAbs(g) <= gradTol) return done(it, 'gradient');
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= funcTol) return done(it, 'function');
  }
  return done(maxIt, 'max-iterations');
}
