// The worker thread of a training shard (shard.ts, shards.ts): opens its session of the CPU training
// graph and serves its runs and updates. Built as an entry of its own beside each bundle
// (scripts/workers.js).
import * as ort from 'onnxruntime-node';
import { parentPort } from 'node:worker_threads';
import type { sessionOptions } from '../infer/providers.js';
import { serveCalls } from '../workers.js';
import { Shard, type ShardInit, type ShardStep } from './shard.js';

/** A shard's init as a worker gets it: the graph's bytes and its session options too. */
export interface WorkerShardInit extends ShardInit {
  bytes: Uint8Array;
  options: ReturnType<typeof sessionOptions>;
}

let shard: Shard;

serveCalls<WorkerShardInit | ShardStep>(parentPort!, async (m) => {
  if ('bytes' in m) shard = new Shard(m, await ort.InferenceSession.create(m.bytes, m.options));
  else return shard.step(m);
});
