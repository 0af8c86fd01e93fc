// A training shard (shards.ts): a session of the CPU training graph that runs its rows of each
// batch and leaves their gradients in the shards' memory, meets the other shards (arrive), then
// sums every shard's gradient of the params it owns, updates them and makes their rearranged
// copies (rearrange.ts) for the next step, all with the kernels of kernels.ts on that one memory,
// and meets the others again: then every param is updated and the next step may run.
// A shard of a worker thread (shard-worker.ts) works on shared memory, which onnxruntime-node
// refuses as a tensor, so each run feeds local copies; a lone shard run where its trainer is has a
// memory of its own, which the runs read in place.
import * as ort from 'onnxruntime-node';
import { inTurn } from './in-turn.js';
import { kernelMemory, kernels, Layout } from './kernels.js';
import { SlotOptimizer, type OptimizerSettings, type Slot } from './optim.js';
import { LABELS, LOSS } from './training.js';

/** Float offsets in the shards' memory (kernels.ts). */
export interface ShardLayout {
  /** Per param: its slot; the gradient region is shard 0's (the shards' sum lands there) or `gathered`. */
  slots: Slot[];
  /** Per shard, per param: where the shard leaves its gradient output. */
  grads: number[][];
  /** Per param whose gradient output is laid out unlike the param: the gather order (int32) into its slot's gradient. */
  gathered: ({ order: number } | undefined)[];
  /** Per rearranged feed: made from param `param` by the int32 `order`, at `out`. */
  inputs: { name: string; dims: number[]; param: number; out: number; order: number; length: number }[];
  /** The rearranged feeds' span, copied whole before each run. */
  rearranged: { start: number; end: number };
}

export interface ShardInit {
  input: string;
  chw: number[];
  classes: number;
  /** Per param: its name and dims, and whether the graph reads it (else it is fed zeros). */
  params: { name: string; dims: number[]; read: boolean }[];
  /** Per param, the graph output holding its gradient. */
  fetches: string[];
  layout: ShardLayout;
  /** The params this worker updates. */
  owned: number[];
  optimizer: OptimizerSettings;
  shard: number;
  /** Shared between worker threads; not shared for a shard run where its trainer is (see Shard). */
  memory: WebAssembly.Memory;
  /** Two sets of the batch's rows (ShardStep.set says which a step reads). */
  images: (SharedArrayBuffer | ArrayBuffer)[];
  labels: (SharedArrayBuffer | ArrayBuffer)[];
  /** Two int32s where the shards meet (arrive). */
  meet: SharedArrayBuffer | ArrayBuffer;
}

/**
 * One step: run rows [first, first + count) of the batch in memory (none: count 0), wait for every
 * shard's gradients, update the owned params; answers the rows' mean loss and the run's time.
 * `scales[s]`: shard s's share of the batch (0: it had no rows).
 */
export interface ShardStep {
  first: number;
  count: number;
  lr: number;
  scales: number[];
  /** Which set of rows (ShardInit.images, .labels). */
  set: number;
}

/** How long a shard waits for the others' gradients before it gives the step up. */
const BARRIER_MS = 600_000;

/**
 * Where the shards meet between their runs and their updates, on an Int32Array over shared memory:
 * [arrived, generation]. The last to arrive starts the next generation and wakes the others.
 */
export function arrive(meet: Int32Array, shards: number, waitMs = BARRIER_MS): void {
  if (shards === 1) return;
  const generation = Atomics.load(meet, 1);
  if (Atomics.add(meet, 0, 1) === shards - 1) {
    Atomics.store(meet, 0, 0);
    Atomics.add(meet, 1, 1);
    Atomics.notify(meet, 1);
    return;
  }
  while (Atomics.load(meet, 1) === generation)
    if (Atomics.wait(meet, 1, generation, waitMs) === 'timed-out')
      throw new Error('a training shard stopped: the others waited for it in vain');
}

export class Shard {
  private readonly k;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly optimizer: SlotOptimizer;
  /** Shared memory: the local copies each run refreshes (param index or rearranged span -> copy). */
  private readonly copies: { from: number; to: Float32Array }[] = [];
  private readonly shared: boolean;
  private readonly meet: Int32Array;
  /** Where each run's rows are copied to: on 64-byte lines. */
  private readonly images: Float32Array;
  private readonly labels: Float32Array;

  constructor(
    private readonly m: ShardInit,
    private readonly session: ort.InferenceSession,
  ) {
    const k = (this.k = kernels(m.memory));
    this.shared = m.memory.buffer instanceof SharedArrayBuffer;
    this.meet = new Int32Array(m.meet);
    const { slots, rearranged, inputs } = m.layout;
    const lengths = slots.map((s) => s.length);
    const zeros = new Float32Array(Math.max(0, ...lengths.filter((_, i) => !m.params[i].read)));
    // What each run feeds: the params the graph reads and the rearranged feeds, zeros for the params
    // it does not read, and the run's rows. Shared memory is copied into a memory of this shard's
    // own before each run (onnxruntime-node refuses shared buffers), and so are the rows: every feed
    // starts on a 64-byte line (kernels.ts Layout), in place or copied.
    const own = new Layout();
    const span = rearranged.end - rearranged.start;
    const region = (from: number, n: number) => ({ from, n, at: this.shared ? own.add(n) : 0 });
    const params = m.params.map((p, i) => (p.read ? region(slots[i].param, lengths[i]) : undefined));
    const feedSpan = region(rearranged.start, span);
    const rows = [m.images[0], m.labels[0]].map((b) => ({ at: own.add(b.byteLength / 4), n: b.byteLength / 4 }));
    const mine = new Float32Array(kernelMemory(own.size, false).buffer);
    const view = ({ from, n, at }: { from: number; n: number; at: number }) => {
      if (!this.shared) return k.f32.subarray(from, from + n);
      const to = mine.subarray(at, at + n);
      this.copies.push({ from, to });
      return to;
    };
    [this.images, this.labels] = rows.map(({ at, n }) => mine.subarray(at, at + n));
    m.params.forEach((p, i) => {
      const data = params[i] ? view(params[i]) : zeros.subarray(0, lengths[i]);
      this.feeds[p.name] = new ort.Tensor('float32', data, p.dims);
    });
    const copies = span > 0 ? view(feedSpan) : new Float32Array();
    for (const r of inputs) {
      const at = r.out - rearranged.start;
      this.feeds[r.name] = new ort.Tensor('float32', copies.subarray(at, at + r.length), r.dims);
    }
    this.optimizer = new SlotOptimizer(
      k,
      m.owned.map((i) => slots[i]),
      m.optimizer,
    );
  }

  /**
   * The rows' mean loss and how long their run took in ms (row-split.ts balances the shards by it).
   * Steps run in the order given: the trainer gives the next before this one is done, so that the
   * shards go on to it without a round trip through the main thread.
   */
  readonly step = inTurn((step: ShardStep) => this.stepNow(step));

  private async stepNow(step: ShardStep): Promise<[number, number]> {
    const start = performance.now();
    const shards = this.m.layout.grads.length;
    let done: [number, number] = [0, 0];
    try {
      if (step.count > 0) done = [await this.run(step), performance.now() - start];
    } finally {
      // a shard whose run failed still arrives, so that no other waits for it
      arrive(this.meet, shards);
    }
    try {
      this.update(step);
    } finally {
      // every param is updated before any shard's next run reads them
      arrive(this.meet, shards);
    }
    return done;
  }

  private async run({ first, count, set }: ShardStep): Promise<number> {
    const { m, k, feeds } = this;
    const { grads } = m.layout;
    for (const c of this.copies) c.to.set(k.f32.subarray(c.from, c.from + c.to.length));
    const image = m.chw.reduce((a, b) => a * b, 1);
    const rows = (buffer: SharedArrayBuffer | ArrayBuffer, width: number, local: Float32Array) => {
      const view = new Float32Array(buffer, first * width * 4, count * width);
      const to = local.subarray(0, count * width);
      to.set(view);
      return to;
    };
    feeds[m.input] = new ort.Tensor('float32', rows(m.images[set], image, this.images), [count, ...m.chw]);
    feeds[LABELS] = new ort.Tensor('float32', rows(m.labels[set], m.classes, this.labels), [count, m.classes]);
    const out = await this.session.run(feeds, [LOSS, ...m.fetches]);
    m.fetches.forEach((f, i) => k.f32.set(out[f].data as Float32Array, grads[m.shard][i]));
    return Number(out[LOSS].data[0]);
  }

  /**
   * Sums the shards' gradients of each owned param into shard 0's (each owner touches only its
   * params' regions; shard 0 always has rows), weighted by their shares, lays them out as the param
   * where they differ, updates the params and makes their rearranged copies.
   */
  private update({ lr, scales }: ShardStep): void {
    const { m, k, optimizer } = this;
    const { slots, grads, gathered, inputs } = m.layout;
    for (const i of m.owned) {
      let a = scales[0];
      for (let s = 1; s < scales.length; s++) {
        if (scales[s] === 0) continue;
        k.axpby(grads[0][i], grads[s][i], slots[i].length, a, scales[s]);
        a = 1;
      }
      const g = gathered[i];
      if (g) k.gather(slots[i].grad, grads[0][i], g.order, slots[i].length);
    }
    optimizer.step(lr);
    const mine = new Set(m.owned);
    for (const r of inputs) if (mine.has(r.param)) k.gather(r.out, slots[r.param].param, r.order, r.length);
  }
}
