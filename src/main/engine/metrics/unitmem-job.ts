// computeUnitMem: the engine entry point behind `memlens unitmem` and the app's UnitMem screen.
import type { ActivationPolicy, JobControl, LayerInfo, UnitMemRequest, UnitMemResult } from '../../../shared/api.js';
import { DEFAULT_UNITMEM_VIEWS } from '../../../shared/metric-defaults.js';
import { openSource, type DataSource } from '../data/source.js';
import { selectLayers, startTapEncoder } from '../infer/encoder.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { measure } from './pass.js';
import { MemLensError } from '../errors.js';
import { activationPolicy, dataSettings, viewCount, type DataSettings } from './settings.js';
import { UnitMeanAccumulator } from './unitmem.js';
import { requireSamples } from './samples.js';

/** Top images kept per unit for the Units screen. */
export const DEFAULT_UNITMEM_TOP = 5;

interface UnitMemPlan {
  source: DataSource;
  views: number;
  rest: 'mean' | 'median';
  settings: UnitMemResult['settings'];
  key: string;
  cached?: UnitMemResult;
}

async function plan(req: UnitMemRequest, ds: DataSettings, model: OnnxModel, layers: LayerInfo[], top: number, activation: ActivationPolicy): Promise<UnitMemPlan> {
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'unitmem');
  const views = await viewCount(req.views, source, ds.augment, DEFAULT_UNITMEM_VIEWS);
  const rest = req.rest ?? 'mean';
  const settings = { ...ds, views, rest, activation, top, layers: layers.map((l) => l.name) };
  const key = cacheKey('unitmem', { model: model.sha256, settings, data: await dataFingerprint(ds.data) });
  return { source, views, rest, settings, key, cached: await readCache<UnitMemResult>(req.model, key) };
}

export async function computeUnitMem(req: UnitMemRequest, ctl: JobControl = {}): Promise<UnitMemResult> {
  const ds = await dataSettings(req);
  const top = req.top ?? DEFAULT_UNITMEM_TOP;
  if (!Number.isInteger(top) || top < 1) throw new MemLensError('BAD_INPUT', `top must be a positive integer, got ${top}`);
  const activation = activationPolicy(req.activation);
  const model = await loadModel(req.model);
  const layers = selectLayers(model, req.layers, false);
  // The session is set up while the data opens and the cache is checked.
  const pending = startTapEncoder(model, layers, { means: true, activation, size: ds.size });
  const { source, views, rest, settings, key, cached } = await pending.during(plan(req, ds, model, layers, top, activation));
  if (cached) {
    await pending.discard();
    return cached;
  }
  const enc = await pending.ready;
  const accs = enc.layers.map((l) => new UnitMeanAccumulator(source.count, l.units));
  const spec = { channels: enc.input.channels, height: enc.input.height, width: enc.input.width, mean: ds.mean, std: ds.std };
  await measure(
    [enc],
    { source, spec, augment: ds.augment, seed: ds.seed, views, anchor: false },
    ds.batch,
    'unitmem',
    (rows, [out]) => enc.layers.forEach((l, i) => l.mean && accs[i].add(out[l.mean], rows.sampleOf)),
    ctl,
  );

  const result: UnitMemResult = {
    schema: 'memlens.unitmem/1',
    model: { path: model.path, sha256: model.sha256 },
    settings,
    samples: source.ids,
    ...(source.skipped.length ? { skipped: source.skipped } : {}),
    layers: enc.layers.map((l, i) => ({
      name: l.info.name,
      op: l.info.op,
      kind: l.info.kind,
      tensor: l.info.tensor,
      // The weight's count also where nothing was measured (then `reason` says why and the arrays are empty).
      units: l.info.units,
      ...accs[i].scores(rest, top),
      ...(l.info.read ? { read: l.info.read[activation] } : { reason: l.info.noUnits }),
    })),
  };
  await writeCache(req.model, key, result);
  return result;
}
