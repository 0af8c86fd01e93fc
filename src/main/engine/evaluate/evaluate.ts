// evaluate: the engine entry point behind `memlens evaluate` — embeddings of a labelled train and
// test split, one probe, accuracy overall and per class (memlens.evaluate/1).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EvaluateRequest, EvaluateResult, JobControl } from '../../../shared/api.js';
import { MemLensError, throwIfAborted } from '../errors.js';
import { openSource, type DataSource } from '../data/source.js';
import { dataSettings } from '../metrics/settings.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { embedSources, type EmbedSettings } from './embeddings.js';
import type { Labelled } from './features.js';
import { alignLabels } from './labels.js';
import { writeNpy } from './npy.js';
import { probeSettings, runProbe, type ProbeScore, type ProbeSettings } from './probe.js';

export interface EvaluateOptions extends EvaluateRequest {
  /** kNN vote temperature (default 0.07). */
  temperature?: number;
  /** Linear-probe L2 penalty (default 1e-4). */
  weightDecay?: number;
  /** Folder to write {train,test}-{features,labels}.npy into (for an independent reference probe). */
  exportFeatures?: string;
}

/** A labelled split pair, opened and checked once, embedded per model (compare reuses it). */
export interface ProbeData {
  train: DataSource;
  test: DataSource;
  classes: string[];
  trainLabels: Int32Array;
  testLabels: Int32Array;
  embed: EmbedSettings;
}

export async function openProbeData(req: EvaluateRequest): Promise<ProbeData & { settings: Record<string, unknown> }> {
  const ds = await dataSettings({ ...req, data: req.train });
  const [train, test] = await Promise.all([
    openSource(ds.data, { limit: ds.limit }),
    openSource(resolve(req.test), { limit: ds.limit }),
  ]);
  const aligned = alignLabels(train, test);
  // the batch only when requested: else each model's embedding pass picks one from the memory budget
  const embed: EmbedSettings = {
    mean: ds.mean,
    std: ds.std,
    ...(req.batch !== undefined ? { batch: ds.batch } : {}),
    ...(ds.size ? { size: ds.size } : {}),
  };
  return {
    train,
    test,
    classes: aligned.classes,
    trainLabels: aligned.train,
    testLabels: aligned.test,
    embed,
    settings: {
      train: train.path,
      test: test.path,
      ...embed,
      normalizationFrom: ds.normalizationFrom,
      ...(ds.limit !== undefined ? { limit: ds.limit } : {}),
    },
  };
}

/** Embeds both splits with `model` and runs the probe. */
export async function probeModel(
  model: OnnxModel,
  data: ProbeData,
  probe: ProbeSettings,
  ctl: JobControl = {},
): Promise<ProbeScore & { features: [Labelled, Labelled] }> {
  const [tr, te] = await embedSources(model, [data.train, data.test], data.embed, ctl);
  throwIfAborted(ctl.signal);
  const train = { ...tr, labels: data.trainLabels };
  const test = { ...te, labels: data.testLabels };
  ctl.onProgress?.(0, 1, `${probe.probe} probe`);
  const score = runProbe(train, test, data.classes.length, probe, ctl.signal);
  ctl.onProgress?.(1, 1, `${probe.probe} probe`);
  return { ...score, features: [train, test] };
}

async function exportFeatures(dir: string, [train, test]: [Labelled, Labelled]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, f] of [
    ['train', train],
    ['test', test],
  ] as const) {
    await writeNpy(join(dir, `${name}-features.npy`), f.data, [f.rows, f.dim]);
    await writeNpy(join(dir, `${name}-labels.npy`), f.labels, [f.rows]);
  }
}

export async function evaluate(req: EvaluateOptions, ctl: JobControl = {}): Promise<EvaluateResult> {
  if (req.k !== undefined && !(Number.isInteger(req.k) && req.k >= 1)) {
    throw new MemLensError('BAD_INPUT', `k must be a positive integer, got ${req.k}`);
  }
  if (req.probe !== undefined && req.probe !== 'linear' && req.probe !== 'knn') {
    throw new MemLensError('BAD_INPUT', `probe must be linear or knn, got ${req.probe}`);
  }
  const model = await loadModel(req.model);
  const data = await openProbeData(req);
  const probe = probeSettings(req);
  const score = await probeModel(model, data, probe, ctl);
  if (req.exportFeatures) await exportFeatures(req.exportFeatures, score.features);
  return {
    schema: 'memlens.evaluate/1',
    model: { path: model.path, sha256: model.sha256 },
    settings: { ...data.settings, ...probe, classes: data.classes, ...(score.fit ? { fit: score.fit } : {}) },
    probe: probe.probe,
    accuracy: score.accuracy,
    // A class without test samples has no accuracy: NaN (null in the JSON document).
    perClass: score.perClass.map((a) => a ?? Number.NaN),
    trainCount: data.train.count,
    testCount: data.test.count,
  };
}
