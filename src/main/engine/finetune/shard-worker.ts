// A training shard (shards.ts): a session of the CPU training graph that runs its rows of each
// batch and leaves their gradients in shared memory, then sums every shard's gradient of the params
// it owns, updates them with its optimizer and makes their rearranged copies (rearrange.ts) for the
// next step. onnxruntime-node refuses tensors on shared memory, so each run feeds local copies.
// Built as an entry of its own beside each bundle (scripts/workers.js).
import * as ort from 'onnxruntime-node';
import { parentPort } from 'node:worker_threads';
import type { sessionOptions } from '../infer/providers.js';
import { serveCalls } from '../workers.js';
import { Optimizer, type OptimizerSettings } from './optim.js';
import { rearrangeInto, type Rearrangement } from './rearrange.js';
import { LABELS, LOSS } from './training.js';

/** A rearranged feed: made from param `param`, at float `offset` of the rearranged memory. */
export interface ShardInput extends Rearrangement {
  param: number;
  offset: number;
}

export interface ShardInit {
  bytes: Uint8Array;
  options: ReturnType<typeof sessionOptions>;
  input: string;
  chw: number[];
  classes: number;
  /** Every param, at float `offset` of the params' memory (and of each shard's gradients). */
  params: { name: string; dims: number[]; offset: number }[];
  /** Per param: the output holding its gradient, and the order that lays it out as the param. */
  grads: { fetch: string; order?: Int32Array }[];
  inputs: ShardInput[];
  /** The params this worker updates. */
  owned: number[];
  optimizer: OptimizerSettings;
  shard: number;
  memory: {
    params: SharedArrayBuffer;
    rearranged: SharedArrayBuffer;
    /** Each shard's gradients, shard after shard, laid out as the params. */
    grads: SharedArrayBuffer;
    images: SharedArrayBuffer;
    labels: SharedArrayBuffer;
  };
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

let state: Awaited<ReturnType<typeof start>>;

async function start(m: ShardInit) {
  const session = await ort.InferenceSession.create(m.bytes, m.options);
  const lengths = m.params.map((p) => p.dims.reduce((a, b) => a * b, 1));
  const total = lengths.reduce((a, b) => a + b, 0);
  const shared = new Float32Array(m.memory.params);
  const view = (k: number) => shared.subarray(m.params[k].offset, m.params[k].offset + lengths[k]);
  const rearranged = new Float32Array(m.memory.rearranged);
  const grads = new Float32Array(m.memory.grads);
  // the local copies fed to each run: params, rearranged params
  const params = new Float32Array(total);
  const copies = new Float32Array(rearranged.length);
  const owned = m.owned;
  const scratch = owned.map((k) => new Float32Array(lengths[k]));
  return {
    m,
    session,
    lengths,
    total,
    shared,
    rearranged,
    grads,
    params,
    copies,
    scratch,
    optimizer: new Optimizer(owned.map(view), m.optimizer),
    view,
  };
}

async function run({ first, count }: ShardRun): Promise<number> {
  const { m, session, lengths, total, shared, rearranged, grads, params, copies } = state;
  params.set(shared);
  copies.set(rearranged);
  const image = m.chw.reduce((a, b) => a * b, 1);
  const feeds: Record<string, ort.Tensor> = {
    [m.input]: new ort.Tensor('float32', new Float32Array(m.memory.images, first * image * 4, count * image).slice(), [
      count,
      ...m.chw,
    ]),
    [LABELS]: new ort.Tensor(
      'float32',
      new Float32Array(m.memory.labels, first * m.classes * 4, count * m.classes).slice(),
      [count, m.classes],
    ),
  };
  m.params.forEach((p, k) => {
    feeds[p.name] = new ort.Tensor('float32', params.subarray(p.offset, p.offset + lengths[k]), p.dims);
  });
  for (const r of m.inputs)
    feeds[r.name] = new ort.Tensor('float32', copies.subarray(r.offset, r.offset + r.order.length), r.dims);
  const out = await session.run(feeds, [LOSS, ...m.grads.map((g) => g.fetch)]);
  const base = m.shard * total;
  m.grads.forEach((g, k) => grads.set(out[g.fetch].data as Float32Array, base + m.params[k].offset));
  return Number(out[LOSS].data[0]);
}

function update({ lr, scales }: ShardUpdate): void {
  const { m, lengths, total, grads, rearranged, scratch, optimizer, view } = state;
  m.owned.forEach((k, i) => {
    const g = scratch[i];
    const order = m.grads[k].order;
    let first = true;
    scales.forEach((scale, s) => {
      if (scale === 0) return;
      const raw = grads.subarray(s * total + m.params[k].offset, s * total + m.params[k].offset + lengths[k]);
      if (order) {
        if (first) for (let t = 0; t < g.length; t++) g[t] = scale * raw[order[t]];
        else for (let t = 0; t < g.length; t++) g[t] += scale * raw[order[t]];
      } else if (first) for (let t = 0; t < g.length; t++) g[t] = scale * raw[t];
      else for (let t = 0; t < g.length; t++) g[t] += scale * raw[t];
      first = false;
    });
  });
  optimizer.step(scratch, lr);
  for (const r of m.inputs)
    if (m.owned.includes(r.param))
      rearrangeInto(r, view(r.param), rearranged.subarray(r.offset, r.offset + r.order.length));
}

serveCalls<ShardInit | ShardRun | ShardUpdate>(parentPort!, async (m) => {
  if ('bytes' in m) state = await start(m);
  else if ('count' in m) return run(m);
  else update(m);
});
