// Optimizers over Float32Array parameters, with PyTorch's update rules (torch.optim.AdamW and SGD
// with momentum and coupled weight decay), and the learning-rate schedules.
export interface OptimizerSettings {
  kind: 'adamw' | 'sgd';
  weightDecay: number;
  /** SGD momentum. */
  momentum: number;
  /** AdamW (beta1, beta2, eps). */
  betas: [number, number];
  eps: number;
}

export const DEFAULT_OPTIMIZER: Readonly<OptimizerSettings> = {
  kind: 'adamw',
  weightDecay: 1e-4,
  momentum: 0.9,
  betas: [0.9, 0.999],
  eps: 1e-8,
};

export class Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(
    readonly params: Float32Array[],
    readonly settings: OptimizerSettings,
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = settings.kind === 'adamw' ? params.map((p) => new Float32Array(p.length)) : [];
  }

  /** One update of every parameter in place with its gradient, at learning rate `lr`. */
  step(grads: ArrayLike<number>[], lr: number): void {
    this.t++;
    const s = this.settings;
    for (let k = 0; k < this.params.length; k++) {
      if (s.kind === 'adamw') this.adamw(this.params[k], grads[k], this.m[k], this.v[k], lr);
      else this.sgd(this.params[k], grads[k], this.m[k], lr);
    }
  }

  // torch.optim.AdamW: decoupled decay p -= lr wd p, then the bias-corrected Adam step. The moments
  // are float32 as in PyTorch; the constants are folded out of the loop, which ran at 60% of this
  // speed with them inside (docs/FINETUNE.md "Data-parallel steps").
  private adamw(p: Float32Array, g: ArrayLike<number>, m: Float32Array, v: Float32Array, lr: number): void {
    const [b1, b2] = this.settings.betas;
    const [a1, a2] = [1 - b1, 1 - b2];
    const step = lr / (1 - b1 ** this.t);
    const scale = 1 / Math.sqrt(1 - b2 ** this.t);
    const decay = 1 - lr * this.settings.weightDecay;
    const eps = this.settings.eps;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = Math.fround(b1 * m[i] + a1 * gi);
      const vi = Math.fround(b2 * v[i] + a2 * gi * gi);
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - (step * mi) / (Math.sqrt(vi) * scale + eps);
    }
  }

  // torch.optim.SGD: d = g + wd p; buf = momentum buf + d (buf = d on the first step); p -= lr buf.
  private sgd(p: Float32Array, g: ArrayLike<number>, buf: Float32Array, lr: number): void {
    const { weightDecay: wd, momentum: mu } = this.settings;
    const first = this.t === 1;
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + wd * p[i];
      buf[i] = first ? d : mu * buf[i] + d;
      p[i] -= lr * buf[i];
    }
  }
}

export type Schedule = { kind: 'cosine' } | { kind: 'step'; every: number; gamma: number } | { kind: 'constant' };

/** Learning rate at step `t` of `total` (0-based); `every` of a step schedule counts steps. */
export function learningRate(base: number, schedule: Schedule, t: number, total: number): number {
  if (schedule.kind === 'cosine') return 0.5 * base * (1 + Math.cos((Math.PI * t) / Math.max(1, total)));
  if (schedule.kind === 'step') return base * schedule.gamma ** Math.floor(t / schedule.every);
  return base;
}
