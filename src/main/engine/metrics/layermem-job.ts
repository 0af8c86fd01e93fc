// computeLayerMem: SSLMem per point and LayerMem per layer of f against the reference g
// (docs/METRICS.md "SSLMem, LayerMem and DeltaLayerMem"). Views are seeded per (sample, view), so every encoder measured on the
// same settings sees the same views, in one pass (f and g) or in separate ones (outputLayerMem).
import type { JobControl, LayerInfo, LayerMemRequest, LayerMemResult } from '../../../shared/api.js';
import { DEFAULT_LAYERMEM_VIEWS } from '../../../shared/metric-defaults.js';
import { MemLensError } from '../errors.js';
import { openSource, type DataSource } from '../data/source.js';
import { selectLayers, tapEncoders, type TappedLayer } from '../infer/encoder.js';
import { modelInput, type InputSpec } from '../infer/input.js';
import { chooseBatch } from '../memory.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { imagesPerSample } from '../infer/view-task.js';
import { layerMemRows, viewDistances, type LayerMemNorm, type Pairing } from './layermem.js';
import { measure } from './pass.js';
import { packF64, unpackF64, type Packed } from './packed.js';
import { finishedPart, openRun, type PartDoc, type RunScope, type Shard, type SlicedRun } from './part.js';
import { requireSamples } from './samples.js';
import { dataSettings, viewCount, type DataSettings } from './settings.js';

const describe = (l: LayerInfo) => `${l.kind} ${l.name} (${l.units} units)`;

/** g must be f's architecture (same rows, ops and widths), or the per-layer comparison means nothing. */
function assertSameArchitecture(f: OnnxModel, lf: LayerInfo[], g: OnnxModel, lg: LayerInfo[]): void {
  const what = `reference ${g.path} has a different architecture than ${f.path}`;
  if (lf.length !== lg.length) throw new MemLensError('MISMATCH', `${what}: ${lg.length} layers vs ${lf.length}`);
  lf.forEach((a, i) => {
    const b = lg[i];
    if (a.op !== b.op || a.kind !== b.kind || a.units !== b.units) {
      throw new MemLensError('MISMATCH', `${what}: layer ${i + 1} is ${describe(b)} vs ${describe(a)}`);
    }
  });
}

function assertSameInput(f: OnnxModel, g: OnnxModel, size?: [number, number]): void {
  const dims = (i: InputSpec) => `${i.channels}x${i.height}x${i.width}`;
  const [a, b] = [dims(modelInput(f, size)), dims(modelInput(g, size))];
  if (a !== b) throw new MemLensError('MISMATCH', `reference ${g.path} takes ${b} images but ${f.path} takes ${a}`);
}

/** The validated settings of a LayerMem measurement: data, views, pairing, normalization. */
interface LayerMemPlan {
  ds: DataSettings;
  source: DataSource;
  views: number;
  pairing: Pairing;
  norm: LayerMemNorm;
}

async function layerMemPlan(req: Omit<LayerMemRequest, 'reference'>): Promise<LayerMemPlan> {
  const ds = await dataSettings(req);
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'layermem');
  if (ds.augment.kind === 'none' && !source.readViews) {
    throw new MemLensError(
      'BAD_INPUT',
      `layermem compares views of each point: use augmentation or a folder of per-sample view folders, not ${source.path} with augment none`,
    );
  }
  const pairing = req.pairing ?? 'views';
  const norm = req.norm ?? 'paper';
  const views = await viewCount(req.views, source, ds.augment, DEFAULT_LAYERMEM_VIEWS, pairing === 'anchor');
  if (pairing === 'views' && views < 2)
    throw new MemLensError('BAD_INPUT', `pairing 'views' needs at least 2 views, got ${views}`);
  return { ds, source, views, pairing, norm };
}

/** Per layer, each encoder's SSL distances of the samples of a slice, as JSON (checkpoints, parts). */
export type LayerSslState = Packed[];
/** A LayerMem document without its per-layer numbers: what every part of a run shares. */
export type LayerMemHead = Omit<LayerMemResult, 'layers'> & {
  layers: Pick<LayerMemResult['layers'][number], 'name' | 'kind' | 'tensor'>[];
};
export type LayerMemPart = PartDoc<LayerSslState> & { head: LayerMemHead };

/**
 * SSL_h(x) of the candidates x of `run`'s slice (else all of them) at each given layer of each
 * encoder, in one pass over the views; a resumed run measures only what its checkpoint lacks.
 */
async function sslDistances(
  specs: { model: OnnxModel; layers: LayerInfo[] }[],
  plan: LayerMemPlan,
  ctl: JobControl,
  run?: SlicedRun<LayerSslState>,
): Promise<{ layers: TappedLayer[]; ssl: Float64Array[] }[]> {
  const { ds, source, views, pairing } = plan;
  const [start, end] = run?.range ?? [0, source.count];
  const per = imagesPerSample({ views, anchor: pairing === 'anchor' });
  const encoders = await tapEncoders(specs, { gramViews: per, size: ds.size });
  const ssl = encoders.map((e, k) =>
    e.layers.map((_, i) =>
      run?.resumed ? unpackF64(run.resumed.layers[i][k], end - start) : new Float64Array(end - start),
    ),
  );
  const state = (): LayerSslState[] => encoders[0].layers.map((_, i) => ssl.map((perLayer) => packF64(perLayer[i])));
  const { channels, height, width } = encoders[0].input;
  await measure(
    encoders,
    {
      source,
      spec: { channels, height, width, mean: ds.mean, std: ds.std },
      augment: ds.augment,
      seed: ds.seed,
      views,
      anchor: pairing === 'anchor',
    },
    ds.batch,
    'layermem',
    (rows, outputs) => {
      encoders.forEach((e, k) =>
        e.layers.forEach((l, i) => ssl[k][i].set(viewDistances(outputs[k][l.gram!], per, pairing), rows.start - start)),
      );
      return run?.batchDone(rows.start + rows.count, state);
    },
    ctl,
    [run?.from ?? start, end],
  );
  return encoders.map((e, k) => ({ layers: e.layers, ssl: ssl[k] }));
}

function layerMemDocument(
  head: LayerMemHead,
  norm: LayerMemNorm,
  perLayer: { sslF: ArrayLike<number>; sslG: ArrayLike<number> }[],
): LayerMemResult {
  const table = layerMemRows(perLayer, norm);
  return { ...head, layers: head.layers.map((meta, i) => ({ ...meta, ...table[i] })) };
}

async function measureLayerMem(req: LayerMemRequest, scope: RunScope, ctl: JobControl) {
  const plan = await layerMemPlan(req);
  const [f, g] = await Promise.all([loadModel(req.model), loadModel(req.reference)]);
  const [layersF, layersG] = [selectLayers(f, undefined, true), selectLayers(g, undefined, true)];
  assertSameArchitecture(f, layersF, g, layersG);
  assertSameInput(f, g, plan.ds.size);
  // f and g run on the same batch: they share the budget.
  plan.ds.batch = chooseBatch(req.batch, f, modelInput(f, plan.ds.size), ctl, 2);
  const settings = { ...plan.ds, views: plan.views, pairing: plan.pairing, norm: plan.norm };
  // The batch changes how fast, not what: runs (and shards) with other batches share the result.
  const key = cacheKey('layermem', {
    model: f.sha256,
    reference: g.sha256,
    settings: { ...settings, batch: undefined },
    data: await dataFingerprint(plan.ds.data),
  });
  const cached = await readCache<LayerMemResult>(req.model, key);
  if (cached && !scope.shard) return { cached };
  const head: LayerMemHead = {
    schema: 'memlens.layermem/1',
    model: { path: f.path, sha256: f.sha256 },
    reference: { path: g.path, sha256: g.sha256 },
    settings,
    samples: plan.source.ids,
    layers: layersF.map((l) => ({ name: l.name, kind: l.kind, tensor: l.tensor })),
  };
  const run = await openRun<LayerSslState>('layermem', key, head, plan.source.count, scope);
  const [mf, mg] = await sslDistances(
    [
      { model: f, layers: layersF },
      { model: g, layers: layersG },
    ],
    plan,
    ctl,
    run,
  );
  const perLayer = mf.ssl.map((sslF, i) => ({ sslF, sslG: mg.ssl[i] }));
  const state = () => perLayer.map((l) => [packF64(l.sslF), packF64(l.sslG)]);
  return {
    measured: {
      key,
      head,
      norm: plan.norm,
      perLayer,
      part: () => run.part(state()) as LayerMemPart,
      finish: () => run.close(),
    },
  };
}

export async function computeLayerMem(
  req: LayerMemRequest,
  ctl: JobControl = {},
  scope: Omit<RunScope, 'shard'> = {},
): Promise<LayerMemResult> {
  const { cached, measured: m } = await measureLayerMem(req, scope, ctl);
  if (cached) return cached;
  const result = layerMemDocument(m!.head, m!.norm, m!.perLayer);
  await writeCache(req.model, m!.key, result);
  await m!.finish();
  return result;
}

/** One shard of the candidates (scope.shard), as a part for mergeLayerMem. */
export async function computeLayerMemShard(
  req: LayerMemRequest,
  scope: RunScope & { shard: Shard },
  ctl: JobControl = {},
): Promise<LayerMemPart> {
  return finishedPart((await measureLayerMem(req, scope, ctl)).measured);
}

/** The document of a run from the parts of all its shards, in shard order. */
export function mergeLayerMem(parts: LayerMemPart[]): LayerMemResult {
  const head = parts[0].head;
  const joined = (i: number, k: number) => {
    const all = new Float64Array(head.samples.length);
    for (const p of parts) all.set(unpackF64(p.layers[i][k], p.range[1] - p.range[0]), p.range[0]);
    return all;
  };
  return layerMemDocument(
    head,
    head.settings.norm as LayerMemNorm,
    head.layers.map((_, i) => ({ sslF: joined(i, 0), sslG: joined(i, 1) })),
  );
}

/** The reference's side of output-row LayerMem, ready to compare encoders against. */
export interface OutputLayerMem {
  /** What changes the numbers (as computeLayerMem's settings) and the reference. */
  settings: Record<string, unknown>;
  /** LayerMem of `model`'s output row against the reference, and SSLMem per point (aligned with the data). */
  measure(model: OnnxModel, ctl?: JobControl): Promise<{ layermem: number; sslmem: number[] }>;
}

/** The last row, which must be g's row for LayerMem of one embedding to mean anything. */
function outputRow(f: OnnxModel, g: OnnxModel, rowG: LayerInfo, size?: [number, number]): LayerInfo {
  assertSameInput(f, g, size);
  const rowF = selectLayers(f, undefined, true).slice(-1)[0];
  if (rowF.op !== rowG.op || rowF.kind !== rowG.kind || rowF.units !== rowG.units) {
    throw new MemLensError(
      'MISMATCH',
      `LayerMem compares one embedding: ${f.path} ends in ${describe(rowF)}, reference ${g.path} in ${describe(rowG)}`,
    );
  }
  return rowF;
}

/**
 * LayerMem of the last row (the embedding) of encoders f' against one reference g, on req's
 * settings (req.model, the unpruned f, gives the project defaults and is checked first). For
 * compare's sweep: a pruned f' has narrower inner layers, so only the output rows must match — and
 * do, since pruning masks the units that feed the model output instead of cutting them. g's SSL
 * distances are measured once; each f' is measured on the same seeded views.
 */
export async function outputLayerMem(req: LayerMemRequest, ctl: JobControl = {}): Promise<OutputLayerMem> {
  const plan = await layerMemPlan(req);
  const [f, g] = await Promise.all([loadModel(req.model), loadModel(req.reference)]);
  const rowG = selectLayers(g, undefined, true).slice(-1)[0];
  outputRow(f, g, rowG, plan.ds.size);
  // one model per pass (g's row once, then each model's): the whole budget
  plan.ds.batch = chooseBatch(req.batch, f, modelInput(f, plan.ds.size), ctl);
  const [mg] = await sslDistances([{ model: g, layers: [rowG] }], plan, ctl);
  const settings = {
    ...plan.ds,
    views: plan.views,
    pairing: plan.pairing,
    norm: plan.norm,
    reference: { path: g.path, sha256: g.sha256 },
    row: rowG.name,
  };
  const measure = async (model: OnnxModel, fctl: JobControl = {}) => {
    const [mf] = await sslDistances([{ model, layers: [outputRow(model, g, rowG, plan.ds.size)] }], plan, fctl);
    const [row] = layerMemRows([{ sslF: mf.ssl[0], sslG: mg.ssl[0] }], plan.norm);
    return { layermem: row.layermem, sslmem: row.sslmem };
  };
  return { settings, measure };
}
