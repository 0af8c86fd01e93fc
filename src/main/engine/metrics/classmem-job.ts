// computeClassMem: class means of un-augmented activations (docs/METRICS.md "ClassMem").
import type { ActivationPolicy, ClassMemRequest, ClassMemResult, JobControl, LayerInfo } from '../../../shared/api.js';
import { openSource } from '../data/source.js';
import { resolveAugment } from '../data/views.js';
import { selectLayers, startTapEncoder } from '../infer/encoder.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { ClassMeanAccumulator } from './classmem.js';
import { measure } from './pass.js';
import { requireLabels, requireSamples } from './samples.js';
import { activationPolicy, dataSettings, type DataSettings } from './settings.js';

async function plan(req: ClassMemRequest, ds: DataSettings, model: OnnxModel, layers: LayerInfo[], activation: ActivationPolicy) {
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'classmem');
  const { labels, classes } = requireLabels(source, 'classmem');
  const settings = { ...ds, activation, layers: layers.map((l) => l.name) };
  const key = cacheKey('classmem', { model: model.sha256, settings, data: await dataFingerprint(ds.data) });
  return { source, labels, classes, settings, key, cached: await readCache<ClassMemResult>(req.model, key) };
}

export async function computeClassMem(req: ClassMemRequest, ctl: JobControl = {}): Promise<ClassMemResult> {
  // The data as given: class means are over the points themselves, not over views.
  const ds = { ...(await dataSettings({ ...req, augment: 'none' })), augment: resolveAugment('none') };
  // Class selectivity, like UnitMem, is a contrast of rates: the same activation policy (docs/UNITS.md).
  const activation = activationPolicy(req.activation);
  const model = await loadModel(req.model);
  const layers = selectLayers(model, req.layers, false);
  // The session is set up while the data opens and the cache is checked.
  const pending = startTapEncoder(model, layers, { means: true, activation, size: ds.size });
  const { source, labels, classes, settings, key, cached } = await pending.during(plan(req, ds, model, layers, activation));
  if (cached) {
    await pending.discard();
    return cached;
  }
  const enc = await pending.ready;
  const accs = enc.layers.map((l) => new ClassMeanAccumulator(classes.length, l.units));
  const spec = { channels: enc.input.channels, height: enc.input.height, width: enc.input.width, mean: ds.mean, std: ds.std };
  await measure(
    [enc],
    // one view without augmentation: the image itself (a view folder's first view, its anchor)
    { source, spec, augment: ds.augment, seed: ds.seed, views: 1, anchor: false },
    ds.batch,
    'classmem',
    (rows, [out]) => {
      const classOf = rows.sampleOf.map((s) => labels[s]);
      enc.layers.forEach((l, i) => l.mean && accs[i].add(out[l.mean], classOf));
    },
    ctl,
  );

  const result: ClassMemResult = {
    schema: 'memlens.classmem/1',
    model: { path: model.path, sha256: model.sha256 },
    settings,
    classes,
    layers: enc.layers.map((l, i) => ({
      name: l.info.name,
      kind: l.info.kind,
      units: l.info.units,
      ...accs[i].scores(),
      ...(l.info.read ? { read: l.info.read[activation] } : { reason: l.info.noUnits }),
    })),
  };
  await writeCache(req.model, key, result);
  return result;
}
