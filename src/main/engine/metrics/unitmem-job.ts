// computeUnitMem: the engine entry point behind `memlens unitmem` and the app's UnitMem screen.
import type { JobControl, UnitMemRequest, UnitMemResult } from '../../../shared/api.js';
import { openSource } from '../data/source.js';
import { selectLayers, tapEncoder } from '../infer/encoder.js';
import { loadModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { measure } from './pass.js';
import { MemLensError } from '../errors.js';
import { dataSettings, viewCount } from './settings.js';
import { UnitMeanAccumulator } from './unitmem.js';
import { requireSamples } from './samples.js';

export const DEFAULT_UNITMEM_VIEWS = 10;
/** Top images kept per unit for the Units screen. */
export const DEFAULT_UNITMEM_TOP = 5;

export async function computeUnitMem(req: UnitMemRequest, ctl: JobControl = {}): Promise<UnitMemResult> {
  const ds = await dataSettings(req);
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'unitmem');
  const views = await viewCount(req.views, source, ds.augment, DEFAULT_UNITMEM_VIEWS);
  const rest = req.rest ?? 'mean';
  const top = req.top ?? DEFAULT_UNITMEM_TOP;
  if (!Number.isInteger(top) || top < 1) throw new MemLensError('BAD_INPUT', `top must be a positive integer, got ${top}`);
  const model = await loadModel(req.model);
  const layers = selectLayers(model, req.layers, false);
  const settings = { ...ds, views, rest, top, layers: layers.map((l) => l.name) };
  const key = cacheKey('unitmem', { model: model.sha256, settings, data: await dataFingerprint(ds.data) });
  const cached = await readCache<UnitMemResult>(req.model, key);
  if (cached) return cached;

  const enc = await tapEncoder(model, layers, { means: true, size: ds.size });
  const accs = enc.layers.map((l) => new UnitMeanAccumulator(source.count, l.units));
  const spec = { channels: enc.input.channels, height: enc.input.height, width: enc.input.width, mean: ds.mean, std: ds.std };
  await measure(
    [enc],
    { source, spec, augment: ds.augment, seed: ds.seed, views, anchor: false },
    ds.batch,
    'unitmem',
    (rows, [out]) => enc.layers.forEach((l, i) => accs[i].add(out[l.mean!], rows.sampleOf)),
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
      units: l.units,
      ...accs[i].scores(rest, top),
    })),
  };
  await writeCache(req.model, key, result);
  return result;
}
