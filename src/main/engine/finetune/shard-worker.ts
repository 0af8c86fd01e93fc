// A training shard (shards.ts): a session of the CPU training graph that runs its rows of each
// batch and leaves their gradients in the shards' memory, then sums every shard's gradient of the
// params it owns, updates them and makes their rearranged copies (rearrange.ts) for the next step,
// all with the kernels of kernels.ts on that one shared memory. onnxruntime-node refuses tensors on
// shared memory, so each run feeds local copies. Built as an entry of its own beside each bundle
// (scripts/workers.js).
import * as ort from 'onnxruntime-node';
import { parentPort } from 'node:worker_threads';
import type { sessionOptions } from '../infer/providers.js';
import { serveCalls } from '../workers.js';
import { kernels } from './kernels.js';
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
  bytes: Uint8Array;
  options: ReturnType<typeof sessionOptions>;
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
  memory: WebAssembly.Memory;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
}

/** Run rows [first, first + count) of the batch in memory; answers their mean loss. */
export interface ShardRun {
  first: number;
  count: number;
}

/** Update the owned params; `scales[s]`: shard s's share of the batch (0: it had no rows). */
export interface ShardUpdate {
  lr: number;
  scales: number[];
}

let state: ReturnType<typeof start>;

function start(m: ShardInit, session: ort.InferenceSession) {
  const k = kernels(m.memory);
  const { slots, rearranged } = m.layout;
  const lengths = slots.map((s) => s.length);
  const zeros = new Float32Array(Math.max(0, ...lengths.filter((_, i) => !m.params[i].read)));
  // What each run feeds: local copies of the params the graph reads and of the rearranged feeds,
  // zeros for the params it does not read.
  const local = m.params.map((p, i) => (p.read ? new Float32Array(lengths[i]) : zeros.subarray(0, lengths[i])));
  const copies = new Float32Array(rearranged.end - rearranged.start);
  const feeds: Record<string, ort.Tensor> = {};
  m.params.forEach((p, i) => (feeds[p.name] = new ort.Tensor('float32', local[i], p.dims)));
  for (const r of m.layout.inputs) {
    const at = r.out - rearranged.start;
    feeds[r.name] = new ort.Tensor('float32', copies.subarray(at, at + r.length), r.dims);
  }
  const optimizer = new SlotOptimizer(
    k,
    m.owned.map((i) => slots[i]),
    m.optimizer,
  );
  return { m, session, k, local, copies, feeds, optimizer };
}

async function run({ first, count }: ShardRun): Promise<number> {
  const { m, session, k, local, copies, feeds } = state;
  const { slots, grads, rearranged } = m.layout;
  m.params.forEach((p, i) => p.read && local[i].set(k.f32.subarray(slots[i].param, slots[i].param + slots[i].length)));
  copies.set(k.f32.subarray(rearranged.start, rearranged.end));
  const image = m.chw.reduce((a, b) => a * b, 1);
  const rows = (buffer: SharedArrayBuffer, width: number) =>
    new Float32Array(buffer, first * width * 4, count * width).slice();
  feeds[m.input] = new ort.Tensor('float32', rows(m.images, image), [count, ...m.chw]);
  feeds[LABELS] = new ort.Tensor('float32', rows(m.labels, m.classes), [count, m.classes]);
  const out = await session.run(feeds, [LOSS, ...m.fetches]);
  m.fetches.forEach((f, i) => k.f32.set(out[f].data as Float32Array, grads[m.shard][i]));
  return Number(out[LOSS].data[0]);
}

/**
 * Sums the shards' gradients of each owned param into shard 0's (each owner touches only its
 * params' regions; shard 0 always has rows), weighted by their shares, lays them out as the param
 * where they differ, updates the params and makes their rearranged copies.
 */
function update({ lr, scales }: ShardUpdate): void {
  const { m, k, optimizer } = state;
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

serveCalls<ShardInit | ShardRun | ShardUpdate>(parentPort!, async (m) => {
  if ('bytes' in m) state = start(m, await ort.InferenceSession.create(m.bytes, m.options));
  else if ('count' in m) return run(m);
  else update(m);
});
