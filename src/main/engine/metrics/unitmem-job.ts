// computeUnitMem: the engine entry point behind `memlens unitmem` and the app's UnitMem screen;
// computeUnitMemShard: one slice of the candidates as a part for `memlens merge` (docs/SCALE.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type {
  ActivationPolicy,
  JobControl,
  LayerInfo,
  UnitMemLayer,
  UnitMemRequest,
  UnitMemResult,
} from '../../../shared/api.js';
import { DEFAULT_UNITMEM_VIEWS } from '../../../shared/metric-defaults.js';
import { openSource, type DataSource } from '../data/source.js';
import { selectLayers, startTapEncoder } from '../infer/encoder.js';
import { modelInput } from '../infer/input.js';
import { chooseBatch, memoryBudget } from '../memory.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { measure } from './pass.js';
import { MemLensError } from '../errors.js';
import { finishedPart, measuredUnits, openRun, type PartDoc, type RunScope, type Shard } from './part.js';
import { activationPolicy, dataSettings, viewCount, type DataSettings } from './settings.js';
import { MeanSpill, spilledMedians, type SpillSegment } from './spill.js';
import { UnitStats, viewMeans, type UnitStatsState } from './unitmem.js';
import { requireSamples } from './samples.js';

/** Top images kept per unit for the Units screen. */
export const DEFAULT_UNITMEM_TOP = 5;

/** A UnitMem document without its per-unit numbers: what every part of a run shares. */
export type UnitMemHead = Omit<UnitMemResult, 'layers'> & {
  layers: Pick<UnitMemLayer, 'name' | 'op' | 'kind' | 'tensor' | 'units' | 'read' | 'reason'>[];
};
export type UnitMemPart = PartDoc<UnitStatsState> & { head: UnitMemHead };

interface UnitMemPlan {
  source: DataSource;
  views: number;
  rest: 'mean' | 'median';
  settings: UnitMemResult['settings'];
  key: string;
  cached?: UnitMemResult;
}

async function plan(
  req: UnitMemRequest,
  ds: DataSettings,
  model: OnnxModel,
  layers: LayerInfo[],
  top: number,
  activation: ActivationPolicy,
): Promise<UnitMemPlan> {
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'unitmem');
  const views = await viewCount(req.views, source, ds.augment, DEFAULT_UNITMEM_VIEWS);
  const rest = req.rest ?? 'mean';
  const settings = { ...ds, views, rest, activation, top, layers: layers.map((l) => l.name) };
  // The batch changes how fast, not what: runs (and shards) with other batches share the result.
  const key = cacheKey('unitmem', {
    model: model.sha256,
    settings: { ...settings, batch: undefined },
    data: await dataFingerprint(ds.data),
  });
  return { source, views, rest, settings, key, cached: await readCache<UnitMemResult>(req.model, key) };
}

interface Measured {
  key: string;
  head: UnitMemHead;
  stats: UnitStats[];
  /** Median rest: where the per-sample means of this slice are. */
  spill?: string;
  /** The slice's part document. */
  part(): UnitMemPart;
  /** Drops the checkpoint. */
  finish(): Promise<void>;
}

/** Measures the scope's slice of the candidates; a cached document when there is one for a whole run. */
async function measureUnitMem(
  req: UnitMemRequest,
  scope: RunScope,
  ctl: JobControl,
): Promise<{ cached?: UnitMemResult; measured?: Measured }> {
  const ds = await dataSettings(req);
  const top = req.top ?? DEFAULT_UNITMEM_TOP;
  if (!Number.isInteger(top) || top < 1)
    throw new MemLensError('BAD_INPUT', `top must be a positive integer, got ${top}`);
  const activation = activationPolicy(req.activation);
  const model = await loadModel(req.model);
  const layers = selectLayers(model, req.layers, false);
  ds.batch = chooseBatch(req.batch, model, modelInput(model, ds.size), ctl);
  // The session is set up while the data opens and the cache is checked.
  const pending = startTapEncoder(model, layers, { means: true, activation, size: ds.size });
  const { source, views, rest, settings, key, cached } = await pending.during(
    plan(req, ds, model, layers, top, activation),
  );
  if (cached && !scope.shard) {
    await pending.discard();
    return { cached };
  }
  const enc = await pending.ready;
  const head: UnitMemHead = {
    schema: 'memlens.unitmem/1',
    model: { path: model.path, sha256: model.sha256 },
    settings,
    samples: source.ids,
    ...(source.skipped.length ? { skipped: source.skipped } : {}),
    layers: enc.layers.map((l) => ({
      name: l.info.name,
      op: l.info.op,
      kind: l.info.kind,
      tensor: l.info.tensor,
      // The weight's count also where nothing was measured (then `reason` says why and the arrays are empty).
      units: l.info.units,
      ...(l.info.read ? { read: l.info.read[activation] } : { reason: l.info.noUnits }),
    })),
  };
  const run = await pending.during(openRun<UnitStatsState>('unitmem', key, head, source.count, scope));
  const units = enc.layers.map((l) => l.units);
  const stats = enc.layers.map((l, i) =>
    run.resumed ? UnitStats.from(run.resumed.layers[i], l.units, top) : new UnitStats(l.units, top),
  );
  const temp = rest === 'median' && !scope.spill ? await mkdtemp(join(tmpdir(), 'memlens-means-')) : undefined;
  const dir = rest === 'median' ? (scope.spill ?? temp!) : undefined;
  const spill = dir ? new MeanSpill(dir, units, run.from - run.range[0]) : undefined;
  const perBatch = Math.max(1, Math.floor(ds.batch / views));
  const means = units.map((u) => new Float64Array(perBatch * u));
  try {
    const spec = {
      channels: enc.input.channels,
      height: enc.input.height,
      width: enc.input.width,
      mean: ds.mean,
      std: ds.std,
    };
    await measure(
      [enc],
      { source, spec, augment: ds.augment, seed: ds.seed, views, anchor: false },
      ds.batch,
      'unitmem',
      (rows, [out]) => {
        enc.layers.forEach((l, i) => {
          if (!l.mean) return; // a layer without units to read (its `reason`)
          const mu = viewMeans(out[l.mean], l.units, views, means[i]);
          stats[i].addMeans(mu, rows.start);
          spill?.append(i, mu);
        });
        return run.batchDone(
          rows.start + rows.count,
          () => stats.map((s) => s.state()),
          () => spill?.sync(),
        );
      },
      ctl,
      [run.from, run.range[1]],
    );
    spill?.sync();
  } catch (e) {
    if (temp) await rm(temp, { recursive: true, force: true });
    throw e;
  } finally {
    spill?.close();
  }
  const part = () =>
    run.part(
      stats.map((s) => s.state()),
      dir && basename(dir),
    ) as UnitMemPart;
  return { measured: { key, head, stats, spill: dir, part, finish: () => run.close() } };
}

/** The document from every candidate's statistics (and spilled means, for the median rest). */
function unitMemDocument(head: UnitMemHead, stats: UnitStats[], spills: SpillSegment[]): UnitMemResult {
  const median = head.settings.rest === 'median';
  return {
    ...head,
    layers: head.layers.map((meta, i) => ({
      ...meta,
      ...stats[i].scores(
        median ? spilledMedians(spills, i, stats[i].units, stats[i].argmax, memoryBudget()) : undefined,
      ),
    })),
  };
}

export async function computeUnitMem(
  req: UnitMemRequest,
  ctl: JobControl = {},
  scope: Omit<RunScope, 'shard'> = {},
): Promise<UnitMemResult> {
  const { cached, measured: m } = await measureUnitMem(req, scope, ctl);
  if (cached) return cached;
  try {
    const result = unitMemDocument(
      m!.head,
      m!.stats,
      m!.spill ? [{ dir: m!.spill, rows: m!.head.samples.length }] : [],
    );
    await writeCache(req.model, m!.key, result);
    await m!.finish();
    return result;
  } finally {
    if (m!.spill) await rm(m!.spill, { recursive: true, force: true });
  }
}

/**
 * One shard of the candidates (scope.shard), as a part for mergeUnitMem. With the median rest the
 * part's means stay in scope.spill, a folder that must lie beside the part file.
 */
export async function computeUnitMemShard(
  req: UnitMemRequest,
  scope: RunScope & { shard: Shard },
  ctl: JobControl = {},
): Promise<UnitMemPart> {
  return finishedPart((await measureUnitMem(req, scope, ctl)).measured);
}

/** The document of a run from the parts of all its shards, `dirs[i]` the folder of parts[i]. */
export function mergeUnitMem(parts: UnitMemPart[], dirs: string[]): UnitMemResult {
  const head = parts[0].head;
  const k = head.settings.top as number;
  const stats = head.layers.map((meta, i) => {
    const [first, ...later] = parts.map((p) => UnitStats.from(p.layers[i], measuredUnits(meta), k));
    for (const s of later) first.merge(s);
    return first;
  });
  const spills = head.settings.rest === 'median' ? parts.map((p, i) => spillOf(p, dirs[i])) : [];
  return unitMemDocument(head, stats, spills);
}

function spillOf(p: UnitMemPart, dir: string): SpillSegment {
  if (!p.spill)
    throw new MemLensError(
      'BAD_INPUT',
      `part ${p.shard.index}/${p.shard.count} has no spilled means for the median rest`,
    );
  return { dir: join(dir, p.spill), rows: p.range[1] - p.range[0] };
}
