// computeLayerMem: SSLMem per point and LayerMem per layer of f against the reference g
// (docs/METRICS.md "SSLMem, LayerMem and DeltaLayerMem"). Views are seeded per (sample, view), so every encoder measured on the
// same settings sees the same views, in one pass (f and g) or in separate ones (outputLayerMem).
import type { JobControl, LayerInfo, LayerMemRequest, LayerMemResult } from '../../../shared/api.js';
import { DEFAULT_LAYERMEM_VIEWS } from '../../../shared/metric-defaults.js';
import { MemLensError } from '../errors.js';
import { openSource, type DataSource } from '../data/source.js';
import { selectLayers, tapEncoders, type TappedLayer } from '../infer/encoder.js';
import { modelInput, type InputSpec } from '../infer/input.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { imagesPerSample } from '../infer/feed.js';
import { layerMemRows, viewDistances, type LayerMemNorm, type Pairing } from './layermem.js';
import { measure } from './pass.js';
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
    throw new MemLensError('BAD_INPUT', `layermem compares views of each point: use augmentation or a folder of per-sample view folders, not ${source.path} with augment none`);
  }
  const pairing = req.pairing ?? 'views';
  const norm = req.norm ?? 'paper';
  const views = await viewCount(req.views, source, ds.augment, DEFAULT_LAYERMEM_VIEWS, pairing === 'anchor');
  if (pairing === 'views' && views < 2) throw new MemLensError('BAD_INPUT', `pairing 'views' needs at least 2 views, got ${views}`);
  return { ds, source, views, pairing, norm };
}

/** SSL_h(x) of every candidate x at each given layer of each encoder, in one pass over the views. */
async function sslDistances(
  specs: { model: OnnxModel; layers: LayerInfo[] }[],
  plan: LayerMemPlan,
  ctl: JobControl,
): Promise<{ layers: TappedLayer[]; ssl: Float64Array[] }[]> {
  const { ds, source, views, pairing } = plan;
  const per = imagesPerSample({ views, anchor: pairing === 'anchor' });
  const encoders = await tapEncoders(specs, { gramViews: per, size: ds.size });
  const ssl = encoders.map((e) => e.layers.map(() => new Float64Array(source.count)));
  const { channels, height, width } = encoders[0].input;
  await measure(
    encoders,
    { source, spec: { channels, height, width, mean: ds.mean, std: ds.std }, augment: ds.augment, seed: ds.seed, views, anchor: pairing === 'anchor' },
    ds.batch,
    'layermem',
    (rows, outputs) =>
      encoders.forEach((e, k) => e.layers.forEach((l, i) => ssl[k][i].set(viewDistances(outputs[k][l.gram!], per, pairing), rows.start))),
    ctl,
  );
  return encoders.map((e, k) => ({ layers: e.layers, ssl: ssl[k] }));
}

export async function computeLayerMem(req: LayerMemRequest, ctl: JobControl = {}): Promise<LayerMemResult> {
  const plan = await layerMemPlan(req);
  const [f, g] = await Promise.all([loadModel(req.model), loadModel(req.reference)]);
  const [layersF, layersG] = [selectLayers(f, undefined, true), selectLayers(g, undefined, true)];
  assertSameArchitecture(f, layersF, g, layersG);
  assertSameInput(f, g, plan.ds.size);
  const settings = { ...plan.ds, views: plan.views, pairing: plan.pairing, norm: plan.norm };
  const key = cacheKey('layermem', { model: f.sha256, reference: g.sha256, settings, data: await dataFingerprint(plan.ds.data) });
  const cached = await readCache<LayerMemResult>(req.model, key);
  if (cached) return cached;

  const [mf, mg] = await sslDistances([{ model: f, layers: layersF }, { model: g, layers: layersG }], plan, ctl);
  const table = layerMemRows(mf.ssl.map((sslF, i) => ({ sslF, sslG: mg.ssl[i] })), plan.norm);
  const result: LayerMemResult = {
    schema: 'memlens.layermem/1',
    model: { path: f.path, sha256: f.sha256 },
    reference: { path: g.path, sha256: g.sha256 },
    settings,
    samples: plan.source.ids,
    layers: mf.layers.map((l, i) => ({ name: l.info.name, kind: l.info.kind, tensor: l.info.tensor, ...table[i] })),
  };
  await writeCache(req.model, key, result);
  return result;
}

/** The reference's side of output-row LayerMem, ready to compare encoders against. */
export interface OutputLayerMem {
  /** What changes the numbers (as computeLayerMem's settings) and the reference. */
  settings: Record<string, unknown>;
  /** LayerMem of `model`'s output row against the reference. */
  measure(model: OnnxModel, ctl?: JobControl): Promise<number>;
}

/** The last row, which must be g's row for LayerMem of one embedding to mean anything. */
function outputRow(f: OnnxModel, g: OnnxModel, rowG: LayerInfo, size?: [number, number]): LayerInfo {
  assertSameInput(f, g, size);
  const rowF = selectLayers(f, undefined, true).slice(-1)[0];
  if (rowF.op !== rowG.op || rowF.kind !== rowG.kind || rowF.units !== rowG.units) {
    throw new MemLensError('MISMATCH', `LayerMem compares one embedding: ${f.path} ends in ${describe(rowF)}, reference ${g.path} in ${describe(rowG)}`);
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
  const [mg] = await sslDistances([{ model: g, layers: [rowG] }], plan, ctl);
  const settings = { ...plan.ds, views: plan.views, pairing: plan.pairing, norm: plan.norm, reference: { path: g.path, sha256: g.sha256 }, row: rowG.name };
  const measure = async (model: OnnxModel, fctl: JobControl = {}) => {
    const [mf] = await sslDistances([{ model, layers: [outputRow(model, g, rowG, plan.ds.size)] }], plan, fctl);
    return layerMemRows([{ sslF: mf.ssl[0], sslG: mg.ssl[0] }], plan.norm)[0].layermem;
  };
  return { settings, measure };
}
