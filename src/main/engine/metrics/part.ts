// Partial metric runs (docs/SCALE.md): one shard of the candidates, and checkpoints of a run in
// progress. Both are a "part": the result document's shared fields (`head`), the slice of samples
// it covers, how far it got, and each layer's accumulator state. `memlens merge` folds the parts
// of every shard into the document a single run writes; `--resume` continues from a checkpoint.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { MemLensError } from '../errors.js';
import { isJsonObject, readJson, requireFile, writeFileAtomic } from '../files.js';

/** Shard `index` (0-based, as Slurm array task ids) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Where a run keeps its checkpoint, and whether an existing one is continued. */
export interface Checkpoint {
  path: string;
  resume: boolean;
}

/** How much of the candidates a job computes, and where it checkpoints. */
export interface RunScope {
  shard?: Shard;
  checkpoint?: Checkpoint;
  /** UnitMem with median rest: the folder the per-sample means go to (default: a temp folder). */
  spill?: string;
}

export interface PartDoc<S> {
  /** `memlens.<metric>-part/1`. */
  schema: string;
  /** The cache key of the whole run: parts of one run share it, parts of another do not. */
  key: string;
  shard: Shard;
  /** Samples [start, end) of the source. */
  range: [number, number];
  /** Samples [start, done) are folded into `layers`. */
  done: number;
  head: Record<string, unknown>;
  layers: S[];
  /** UnitMem with median rest: the folder of this part's spilled means, beside the part. */
  spill?: string;
}

export const partSchema = (metric: string) => `memlens.${metric}-part/1`;

/** Parses `I/N` (0 <= I < N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || count < 1 || index >= count) {
    throw new MemLensError(
      'BAD_INPUT',
      `shard must be I/N with 0 <= I < N (I as Slurm's array task id), got '${text}'`,
    );
  }
  return { index, count };
}

/** The samples of `shard`: contiguous, sizes differing by at most one, in order of index. */
export function shardRange(total: number, shard: Shard = { index: 0, count: 1 }): [number, number] {
  const start = Math.floor((shard.index * total) / shard.count);
  const end = Math.floor(((shard.index + 1) * total) / shard.count);
  if (end <= start) {
    throw new MemLensError('BAD_INPUT', `shard ${shard.index}/${shard.count} has no samples: there are only ${total}`);
  }
  return [start, end];
}

function checkPart<S>(v: unknown, path: string, what: string): PartDoc<S> {
  const ok =
    isJsonObject(v) &&
    typeof v.schema === 'string' &&
    typeof v.key === 'string' &&
    isJsonObject(v.shard) &&
    Array.isArray(v.range) &&
    typeof v.done === 'number' &&
    isJsonObject(v.head) &&
    Array.isArray(v.layers);
  if (!ok) throw new MemLensError('BAD_INPUT', `${what} ${path} is not a memlens part (from --shard or a checkpoint)`);
  return v as unknown as PartDoc<S>;
}

export async function readPart<S>(path: string, what = 'part'): Promise<PartDoc<S>> {
  await requireFile(path, what);
  return checkPart<S>(await readJson(path, what), path, what);
}

/**
 * The checkpoint to continue, if any. One that exists is continued only with `resume` (it is
 * never silently overwritten) and only when it is of this very run: same metric, model,
 * settings, data and slice.
 */
export async function resumeFrom<S>(
  cp: Checkpoint | undefined,
  expect: Pick<PartDoc<S>, 'schema' | 'key' | 'range'>,
): Promise<PartDoc<S> | undefined> {
  if (!cp || !existsSync(cp.path)) return undefined;
  if (!cp.resume) {
    throw new MemLensError(
      'BAD_INPUT',
      `checkpoint ${cp.path} is left from an unfinished run: pass --resume to continue it, or remove it`,
    );
  }
  const part = await readPart<S>(cp.path, 'checkpoint');
  if (
    part.schema !== expect.schema ||
    part.key !== expect.key ||
    part.range[0] !== expect.range[0] ||
    part.range[1] !== expect.range[1]
  ) {
    throw new MemLensError(
      'MISMATCH',
      `checkpoint ${cp.path} is of another run (metric, model, settings, data or shard differ); remove it to start over`,
    );
  }
  return part;
}

/**
 * Writes the checkpoint after the first completed batch, then at most once per `everyMs` (state
 * can be megabytes); `durable` runs first so what the checkpoint counts as done is on disk.
 */
export function checkpointer(cp: Checkpoint | undefined, everyMs = 1000) {
  let last = -Infinity;
  return async <S>(doc: () => PartDoc<S>, durable?: () => Promise<void> | void): Promise<void> => {
    if (!cp || Date.now() - last < everyMs) return;
    await durable?.();
    await writeFileAtomic(cp.path, JSON.stringify(doc()));
    last = Date.now();
  };
}

/** A finished run's checkpoint is of no further use. */
export async function dropCheckpoint(cp: Checkpoint | undefined): Promise<void> {
  if (cp) await rm(cp.path, { force: true });
}

/**
 * Every shard of one run, each once and complete, ordered by index (so sample order is kept when
 * their states are folded together).
 */
export function orderParts<S>(parts: { path: string; part: PartDoc<S> }[]): PartDoc<S>[] {
  if (parts.length === 0) throw new MemLensError('BAD_INPUT', 'merge needs at least one part');
  const [first] = parts;
  const n = first.part.shard.count;
  const byIndex = new Map<number, PartDoc<S>>();
  for (const { path, part } of parts) {
    if (part.schema !== first.part.schema || part.key !== first.part.key || part.shard.count !== n) {
      throw new MemLensError(
        'MISMATCH',
        `${path} is not a shard of the same run as ${first.path} (metric, model, settings, data or shard count differ)`,
      );
    }
    if (part.done !== part.range[1])
      throw new MemLensError('BAD_INPUT', `${path} is an unfinished checkpoint, not a shard's result`);
    if (byIndex.has(part.shard.index))
      throw new MemLensError('BAD_INPUT', `shard ${part.shard.index}/${n} is given twice (${path})`);
    byIndex.set(part.shard.index, part);
  }
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (absent.length)
    throw new MemLensError('BAD_INPUT', `shards ${absent.map((i) => `${i}/${n}`).join(', ')} are missing`);
  return Array.from({ length: n }, (_, i) => byIndex.get(i)!);
}

/** A metric run over its slice of the candidates, resumed or fresh, checkpointing as it goes. */
export interface SlicedRun<S> {
  range: [number, number];
  /** The first sample still to measure. */
  from: number;
  /** The checkpoint continued, when there was one. */
  resumed?: PartDoc<S>;
  /** Call after each completed batch: samples before `done` are folded into `layers()`. */
  batchDone(done: number, layers: () => S[], durable?: () => Promise<void> | void): Promise<void>;
  /** The finished part (a shard's document). */
  part(layers: S[], spill?: string): PartDoc<S>;
  /** Drops the checkpoint once the result is safe. */
  close(): Promise<void>;
}

export async function openRun<S>(
  metric: string,
  key: string,
  head: Record<string, unknown>,
  count: number,
  scope: RunScope = {},
): Promise<SlicedRun<S>> {
  const schema = partSchema(metric);
  const shard = scope.shard ?? { index: 0, count: 1 };
  const range = shardRange(count, shard);
  const resumed = await resumeFrom<S>(scope.checkpoint, { schema, key, range });
  const save = checkpointer(scope.checkpoint);
  const part = (layers: S[], done: number, spill?: string): PartDoc<S> => ({
    schema,
    key,
    shard,
    range,
    done,
    head,
    layers,
    ...(spill ? { spill } : {}),
  });
  return {
    range,
    from: resumed?.done ?? range[0],
    resumed,
    batchDone: (done, layers, durable) => save(() => part(layers(), done), durable),
    part: (layers, spill) => part(layers, range[1], spill),
    close: () => dropCheckpoint(scope.checkpoint),
  };
}

/** A measured slice's part (a shard's document); its checkpoint is of no further use. */
export async function finishedPart<P>(measured: { part(): P; finish(): Promise<void> } | undefined): Promise<P> {
  // measured is absent only for a cached whole run, and shards never read the cache
  const part = measured!.part();
  await measured!.finish();
  return part;
}

/** Units a document's layer was measured on (its state's size): none where `reason` says why not. */
export const measuredUnits = (meta: { units: number; reason?: string }) => (meta.reason === undefined ? meta.units : 0);
