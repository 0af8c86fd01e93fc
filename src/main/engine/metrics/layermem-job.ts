// computeLayerMem: SSLMem per point and LayerMem per layer of f against the reference g
// (METRICS.md "LayerMem"). Both encoders run on the same batches, hence the same views.
import type { JobControl, LayerInfo, LayerMemRequest, LayerMemResult } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { openSource } from '../data/source.js';
import { selectLayers, tapEncoders } from '../infer/encoder.js';
import { modelInput, type InputSpec } from '../infer/input.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { cacheKey, dataFingerprint, readCache, writeCache } from '../project/cache.js';
import { imagesPerSample } from '../infer/feed.js';
import { layerMemRows, viewDistances } from './layermem.js';
import { measure } from './pass.js';
import { requireSamples } from './samples.js';
import { dataSettings, viewCount } from './settings.js';

export const DEFAULT_LAYERMEM_VIEWS = 5;

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

export async function computeLayerMem(req: LayerMemRequest, ctl: JobControl = {}): Promise<LayerMemResult> {
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
  const [f, g] = await Promise.all([loadModel(req.model), loadModel(req.reference)]);
  const layersF = selectLayers(f, undefined, true);
  assertSameArchitecture(f, layersF, g, selectLayers(g, undefined, true));
  assertSameInput(f, g, ds.size);
  const settings = { ...ds, views, pairing, norm };
  const key = cacheKey('layermem', { model: f.sha256, reference: g.sha256, settings, data: await dataFingerprint(ds.data) });
  const cached = await readCache<LayerMemResult>(req.model, key);
  if (cached) return cached;

  const anchor = pairing === 'anchor';
  const per = imagesPerSample({ views, anchor });
  const [encF, encG] = await tapEncoders(
    [
      { model: f, layers: layersF },
      { model: g, layers: selectLayers(g, undefined, true) },
    ],
    { gramViews: per, size: ds.size },
  );
  const ssl = encF.layers.map(() => ({ sslF: new Float64Array(source.count), sslG: new Float64Array(source.count) }));
  const spec = { channels: encF.input.channels, height: encF.input.height, width: encF.input.width, mean: ds.mean, std: ds.std };
  await measure(
    [encF, encG],
    { source, spec, augment: ds.augment, seed: ds.seed, views, anchor },
    ds.batch,
    'layermem',
    (rows, [outF, outG]) =>
      ssl.forEach((s, i) => {
        s.sslF.set(viewDistances(outF[encF.layers[i].gram!], per, pairing), rows.start);
        s.sslG.set(viewDistances(outG[encG.layers[i].gram!], per, pairing), rows.start);
      }),
    ctl,
  );

  const table = layerMemRows(ssl, norm);
  const result: LayerMemResult = {
    schema: 'memlens.layermem/1',
    model: { path: f.path, sha256: f.sha256 },
    reference: { path: g.path, sha256: g.sha256 },
    settings,
    samples: source.ids,
    layers: encF.layers.map((l, i) => ({ name: l.info.name, kind: l.info.kind, tensor: l.info.tensor, ...table[i] })),
  };
  await writeCache(req.model, key, result);
  return result;
}
