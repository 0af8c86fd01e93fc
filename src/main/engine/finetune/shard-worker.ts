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

/** A rearranged feed: made from param `param` (as it is kept), at float `offset` of the rearranged memory. */
export interface ShardInput extends Rearrangement {
  param: number;
  offset: number;
}

export interface ShardParam {
  name: string;
  dims: number[];
  /** Float offset in the params' memory and in each shard's gradients. */
  offset: number;
  /** Read by the graph (else fed zeros: only its rearranged copies are read). */
  read: boolean;
  /** The order that lays its gradient output out as the param is kept, when they differ. */
  order?: Int32Array;
}

export interface ShardInit {
  bytes: Uint8Array;
  options: ReturnType<typeof sessionOptions>;
  input: string;
  chw: number[];
  classes: number;
  params: ShardParam[];
  /** Per param, the graph output holding its gradient. */
  fetches: string[];
  inputs: ShardInput[];
  /** The params this worker updates. */
  owned: number[];
  optimizer: OptimizerSettings;
  shard: number;
  memory: {
    params: SharedArrayBuffer;
    rearranged: SharedArrayBuffer;
    /** Each shard's gradient outputs, shard after shard, at the params' offsets. */
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
  const memory = {
    params: new Float32Array(m.memory.params),
    rearranged: new Float32Array(m.memory.rearranged),
    grads: new Float32Array(m.memory.grads),
  };
  const region = (all: Float32Array, k: number, base = 0) =>
    all.subarray(base + m.params[k].offset, base + m.params[k].offset + lengths[k]);
  const owned = m.owned.map((k) => ({ k, scratch: m.params[k].order && new Float32Array(lengths[k]) }));
  // What each run feeds: local copies of the params the graph reads and of the rearranged ones,
  // zeros for the params it does not read.
  const zeros = new Float32Array(Math.max(0, ...lengths.filter((_, k) => !m.params[k].read)));
  const params = m.params.map((p, k) => (p.read ? new Float32Array(lengths[k]) : zeros.subarray(0, lengths[k])));
  const copies = new Float32Array(memory.rearranged.length);
  const feeds: Record<string, ort.Tensor> = {};
  m.params.forEach((p, k) => (feeds[p.name] = new ort.Tensor('float32', params[k], p.dims)));
  for (const r of m.inputs)
    feeds[r.name] = new ort.Tensor('float32', copies.subarray(r.offset, r.offset + r.order.length), r.dims);
  return {
    m,
    session,
    total,
    memory,
    region,
    owned,
    params,
    copies,
    feeds,
    optimizer: new Optimizer(
      owned.map(({ k }) => region(memory.params, k)),
      m.optimizer,
    ),
  };
}

async function run({ first, count }: ShardRun): Promise<number> {
  const { m, session, total, memory, region, params, copies, feeds } = state;
  m.params.forEach((p, k) => p.read && params[k].set(region(memory.params, k)));
  copies.set(memory.rearranged);
  const image = m.chw.reduce((a, b) => a * b, 1);
  const rows = (buffer: SharedArrayBuffer, width: number) =>
    new Float32Array(buffer, first * width * 4, count * width).slice();
  feeds[m.input] = new ort.Tensor('float32', rows(m.memory.images, image), [count, ...m.chw]);
  feeds[LABELS] = new ort.Tensor('float32', rows(m.memory.labels, m.classes), [count, m.classes]);
  const out = await session.run(feeds, [LOSS, ...m.fetches]);
  m.fetches.forEach((f, k) => region(memory.grads, k, m.shard * total).set(out[f].data as Float32Array));
  return Number(out[LOSS].data[0]);
}

/**
 * The batch's gradient of param k: the shards' outputs weighted by their shares, summed into the
 * first active shard's (each owner touches only its params' ranges), in the param's layout.
 */
function gradient(k: number, scratch: Float32Array | undefined, scales: number[]): Float32Array {
  const { m, total, memory, region } = state;
  const active = scales.flatMap((scale, s) => (scale > 0 ? [s] : []));
  const sum = region(memory.grads, k, active[0] * total);
  // one active shard had every row: its scale is 1
  const a = scales[active[0]];
  active.slice(1).forEach((s, j) => {
    const other = region(memory.grads, k, s * total);
    const b = scales[s];
    if (j === 0) for (let i = 0; i < sum.length; i++) sum[i] = a * sum[i] + b * other[i];
    else for (let i = 0; i < sum.length; i++) sum[i] += b * other[i];
  });
  return scratch ? rearrangeInto(m.params[k].order!, sum, scratch) : sum;
}

function update({ lr, scales }: ShardUpdate): void {
  const { m, memory, region, owned, optimizer } = state;
  optimizer.step(
    owned.map(({ k, scratch }) => gradient(k, scratch, scales)),
    lr,
  );
  const mine = new Set(m.owned);
  for (const r of m.inputs)
    if (mine.has(r.param))
      rearrangeInto(
        r.order,
        region(memory.params, r.param),
        memory.rearranged.subarray(r.offset, r.offset + r.order.length),
      );
}

serveCalls<ShardInit | ShardRun | ShardUpdate>(parentPort!, async (m) => {
  if ('bytes' in m) state = await start(m);
  else if ('count' in m) return run(m);
  else update(m);
});
