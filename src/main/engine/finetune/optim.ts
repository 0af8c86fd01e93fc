// Optimizers with PyTorch's update rules (torch.optim.AdamW and SGD with momentum and coupled weight
// decay), in float32 as PyTorch runs them, on the WebAssembly kernels of kernels.ts; and the
// learning-rate schedules.
import { kernelMemory, kernels, Layout, type Kernels } from './kernels.js';

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

/** A param's regions in a kernels memory (float offsets): itself, its gradient, its state. */
export interface Slot {
  param: number;
  grad: number;
  /** AdamW's first moment, SGD's momentum buffer. */
  m: number;
  /** AdamW's second moment. */
  v: number;
  length: number;
}

/** Slots of params of `lengths` in `layout`: each a param, a gradient, m and v region. */
export const slotsOf = (layout: Layout, lengths: number[]): Slot[] =>
  lengths.map((length) => ({
    param: layout.add(length),
    grad: layout.add(length),
    m: layout.add(length),
    v: layout.add(length),
    length,
  }));

/** The update rules of torch.optim.AdamW and SGD, over slots of a kernels memory (kernels.ts). */
export class SlotOptimizer {
  private t = 0;

  constructor(
    private readonly k: Kernels,
    readonly slots: Slot[],
    readonly settings: OptimizerSettings,
  ) {}

  /** One update of every slot's param with its gradient, at learning rate `lr`. */
  step(lr: number): void {
    this.t++;
    const s = this.settings;
    if (s.kind === 'adamw') {
      // decoupled decay p -= lr wd p, then the bias-corrected Adam step
      const [b1, b2] = s.betas;
      const c = {
        b1,
        b2,
        step: lr / (1 - b1 ** this.t),
        scale: 1 / Math.sqrt(1 - b2 ** this.t),
        decay: 1 - lr * s.weightDecay,
        eps: s.eps,
      };
      for (const x of this.slots) this.k.adamw(x.param, x.grad, x.m, x.v, x.length, c);
    } else {
      // d = g + wd p; buf = momentum buf + d (buf = d on the first step); p -= lr buf
      const momentum = this.t === 1 ? 0 : s.momentum;
      for (const x of this.slots) this.k.sgd(x.param, x.grad, x.m, x.length, s.weightDecay, momentum, lr);
    }
  }
}

/**
 * The optimizer of params held in JS arrays: it keeps them, their gradients and its state in a
 * memory of its own, and writes the params back into the arrays after each step.
 */
export class Optimizer {
  private readonly k: Kernels;
  private readonly inner: SlotOptimizer;

  constructor(
    readonly params: Float32Array[],
    settings: OptimizerSettings,
  ) {
    const layout = new Layout();
    const slots = slotsOf(
      layout,
      params.map((p) => p.length),
    );
    this.k = kernels(kernelMemory(layout.size));
    params.forEach((p, i) => this.k.f32.set(p, slots[i].param));
    this.inner = new SlotOptimizer(this.k, slots, settings);
  }

  /** One update of every parameter in place with its gradient, at learning rate `lr`. */
  step(grads: ArrayLike<number>[], lr: number): void {
    const { slots } = this.inner;
    grads.forEach((g, i) => this.k.f32.set(g, slots[i].grad));
    this.inner.step(lr);
    this.params.forEach((p, i) => p.set(this.k.f32.subarray(slots[i].param, slots[i].param + p.length)));
  }
}

export type Schedule = { kind: 'cosine' } | { kind: 'step'; every: number; gamma: number } | { kind: 'constant' };

/** Learning rate at step `t` of `total` (0-based); `every` of a step schedule counts steps. */
export function learningRate(base: number, schedule: Schedule, t: number, total: number): number {
  if (schedule.kind === 'cosine') return 0.5 * base * (1 + Math.cos((Math.PI * t) / Math.max(1, total)));
  if (schedule.kind === 'step') return base * schedule.gamma ** Math.floor(t / schedule.every);
  return base;
}
