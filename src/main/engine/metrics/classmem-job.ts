// computeClassMem: class means of un-augmented activations (docs/METRICS.md "ClassMem"); a shard of the
// candidates as a part for `memlens merge` (docs/SCALE.md).
import type { ActivationPolicy, ClassMemRequest, ClassMemResult, JobControl, LayerInfo } from '../../../shared/api.js';
import { openSource } from '../data/source.js';
import { resolveAugment } from '../data/views.js';
import { selectLayers, startTapEncoder } from '../infer/encoder.js';
import { modelInput } from '../infer/input.js';
import { chooseBatch } from '../memory.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { ClassMeanAccumulator, type ClassSumsState } from './classmem.js';
import { measure } from './pass.js';
import { finishedPart, measuredUnits, openRun, type PartDoc, type RunScope, type Shard } from './part.js';
import { requireLabels, requireSamples } from './samples.js';
import { activationPolicy, dataSettings, type DataSettings } from './settings.js';

/** A ClassMem document without its per-unit numbers: what every part of a run shares. */
export type ClassMemHead = Omit<ClassMemResult, 'layers'> & {
  layers: Pick<ClassMemResult['layers'][number], 'name' | 'kind' | 'units' | 'read' | 'reason'>[];
};
export type ClassMemPart = PartDoc<ClassSumsState> & { head: ClassMemHead };

async function plan(
  req: ClassMemRequest,
  ds: DataSettings,
  model: OnnxModel,
  layers: LayerInfo[],
  activation: ActivationPolicy,
) {
  const source = await openSource(ds.data, { limit: ds.limit });
  requireSamples(source, 2, 'classmem');
  const { labels, classes } = requireLabels(source, 'classmem');
  const settings = { ...ds, activation, layers: layers.map((l) => l.name) };
  // The batch changes how fast, not what: runs (and shards) with other batches share the result.
  const key = cacheKey('classmem', {
    model: model.sha256,
    settings: { ...settings, batch: undefined },
    data: await dataFingerprint(ds.data),
  });
  return { source, labels, classes, settings, key, cached: await readCache<ClassMemResult>(req.model, key) };
}

async function measureClassMem(req: ClassMemRequest, scope: RunScope, ctl: JobControl) {
  // The data as given: class means are over the points themselves, not over views.
  const ds = { ...(await dataSettings({ ...req, augment: 'none' })), augment: resolveAugment('none') };
  // Class selectivity, like UnitMem, is a contrast of rates: the same activation policy (docs/UNITS.md).
  const activation = activationPolicy(req.activation);
  const model = await loadModel(req.model);
  const layers = selectLayers(model, req.layers, false);
  ds.batch = chooseBatch(req.batch, model, modelInput(model, ds.size), ctl);
  // The session is set up while the data opens and the cache is checked.
  const pending = startTapEncoder(model, layers, { means: true, activation, size: ds.size });
  const { source, labels, classes, settings, key, cached } = await pending.during(
    plan(req, ds, model, layers, activation),
  );
  if (cached && !scope.shard) {
    await pending.discard();
    return { cached };
  }
  const enc = await pending.ready;
  const head: ClassMemHead = {
    schema: 'memlens.classmem/1',
    model: { path: model.path, sha256: model.sha256 },
    settings,
    classes,
    layers: enc.layers.map((l) => ({
      name: l.info.name,
      kind: l.info.kind,
      units: l.info.units,
      ...(l.info.read ? { read: l.info.read[activation] } : { reason: l.info.noUnits }),
    })),
  };
  const run = await pending.during(openRun<ClassSumsState>('classmem', key, head, source.count, scope));
  const accs = enc.layers.map((l, i) =>
    run.resumed
      ? ClassMeanAccumulator.from(run.resumed.layers[i], classes.length, l.units)
      : new ClassMeanAccumulator(classes.length, l.units),
  );
  const state = () => accs.map((a) => a.state());
  const spec = {
    channels: enc.input.channels,
    height: enc.input.height,
    width: enc.input.width,
    mean: ds.mean,
    std: ds.std,
  };
  await measure(
    [enc],
    // one view without augmentation: the image itself (a view folder's first view, its anchor)
    { source, spec, augment: ds.augment, seed: ds.seed, views: 1, anchor: false },
    ds.batch,
    'classmem',
    (rows, [out]) => {
      const classOf = rows.sampleOf.map((s) => labels[s]);
      enc.layers.forEach((l, i) => l.mean && accs[i].add(out[l.mean], classOf));
      return run.batchDone(rows.start + rows.count, state);
    },
    ctl,
    [run.from, run.range[1]],
  );
  return { measured: { key, head, accs, part: () => run.part(state()) as ClassMemPart, finish: () => run.close() } };
}

function classMemDocument(head: ClassMemHead, accs: ClassMeanAccumulator[]): ClassMemResult {
  return { ...head, layers: head.layers.map((meta, i) => ({ ...meta, ...accs[i].scores() })) };
}

export async function computeClassMem(
  req: ClassMemRequest,
  ctl: JobControl = {},
  scope: Omit<RunScope, 'shard'> = {},
): Promise<ClassMemResult> {
  const { cached, measured: m } = await measureClassMem(req, scope, ctl);
  if (cached) return cached;
  const result = classMemDocument(m!.head, m!.accs);
  await writeCache(req.model, m!.key, result);
  await m!.finish();
  return result;
}

/** One shard of the candidates (scope.shard), as a part for mergeClassMem. */
export async function computeClassMemShard(
  req: ClassMemRequest,
  scope: RunScope & { shard: Shard },
  ctl: JobControl = {},
): Promise<ClassMemPart> {
  return finishedPart((await measureClassMem(req, scope, ctl)).measured);
}

/** The document of a run from the parts of all its shards, in shard order. */
export function mergeClassMem(parts: ClassMemPart[]): ClassMemResult {
  const head = parts[0].head;
  const accs = head.layers.map((meta, i) => {
    const [first, ...later] = parts.map((p) =>
      ClassMeanAccumulator.from(p.layers[i], head.classes.length, measuredUnits(meta)),
    );
    for (const a of later) first.merge(a);
    return first;
  });
  return classMemDocument(head, accs);
}
