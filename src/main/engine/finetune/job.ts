// memlens finetune: the selected layers plus a linear head, against the head alone (the baseline)
// on the same batches, then the fine-tuned encoder exported (docs/ARCHITECTURE.md "Decisions": fine-tuning runs on onnxruntime).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FinetuneRequest, FinetuneResult, JobControl } from '../../../shared/api.js';
import { readRange } from '../data/batches.js';
import { toTensor, type TensorSpec } from '../data/preprocess.js';
import { Random } from '../data/random.js';
import { openSource } from '../data/source.js';
import { resolveAugment } from '../data/views.js';
import { MemLensError } from '../errors.js';
import { assertNotSamePath, writeDocumentLast } from '../files.js';
import { modelInput, type InputSpec } from '../infer/input.js';
import { requireLabels } from '../metrics/samples.js';
import { dataSettings, type DataSettings } from '../metrics/settings.js';
import { loadModel, SOURCE_SHA256_KEY, tensorToFloat32, type OnnxModel } from '../onnx/index.js';
import { loadProject } from '../project/project.js';
import { exportFinetuned, LAYERS_KEY, RUN_SUFFIX } from './export.js';
import { memorizationBeforeAfter } from './memorization.js';
import { trainRun, type Param, type RunData, type RunSettings } from './loop.js';
import { planTraining } from './trainer.js';
import { DEFAULT_OPTIMIZER } from './optim.js';
import { selectLayers, type TrainableLayer } from './select.js';
import { HEAD_BIAS, HEAD_WEIGHT, trainingModels } from './training.js';

export const DEFAULT_EPOCHS = 5;

/** Where the result document of an export goes: next to the model. */
export function resultPath(out: string): string {
  return out.replace(/(\.onnx)?$/i, RUN_SUFFIX);
}
export const DEFAULT_FINETUNE_BATCH = 64;
export const DEFAULT_LR = { adamw: 1e-3, sgd: 1e-2 } as const;

// Supervised fine-tuning uses the usual light augmentation (crop and flip), not the SimCLR recipe
// the encoder was pre-trained with: colour jitter and grayscale only slow a linear head down.
const FINETUNE_AUGMENT = resolveAugment({ cropScale: [0.6, 1], jitterP: 0, grayscaleP: 0 });

function positive(v: number | undefined, fallback: number, what: string, integer: boolean): number {
  const x = v ?? fallback;
  if (!(x > 0) || (integer && !Number.isInteger(x)))
    throw new MemLensError('BAD_INPUT', `${what} must be a positive ${integer ? 'integer' : 'number'}, got ${x}`);
  return x;
}

/**
 * LayerMem is a property of the encoder's own training points, so `auto` ranks layers on the
 * project's candidates when the model sits in a project; the downstream train set is the fallback.
 */
async function rankingData(req: FinetuneRequest): Promise<string> {
  if (req.data) return req.data;
  const project = join(dirname(resolve(req.model)), 'project.memlens.json');
  if (!existsSync(project)) return req.train;
  return (await loadProject(project)).data.candidates;
}

function encoderParams(model: OnnxModel, layers: TrainableLayer[]): Param[] {
  const inits = new Map(model.proto.graph!.initializer.map((t) => [t.name, t]));
  return layers
    .flatMap((l) => l.params)
    .map((name) => {
      const t = inits.get(name)!;
      return { name, dims: t.dims.map(Number), data: tensorToFloat32(t).slice() };
    });
}

/** PyTorch's nn.Linear initialization, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from the run's seed. */
function headParams(classes: number, features: number, seed: number): [Param, Param] {
  const rng = new Random(seed, 0x4ead);
  const bound = 1 / Math.sqrt(features);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
  return [
    { name: HEAD_WEIGHT, dims: [classes, features], data: draw(classes * features) },
    { name: HEAD_BIAS, dims: [classes], data: draw(classes) },
  ];
}

/** Labelled train images in memory (augmented per step) and the test set preprocessed once. */
async function runData(trainPath: string, testPath: string, ds: DataSettings, input: InputSpec): Promise<RunData> {
  const [trainSource, testSource] = await Promise.all([
    openSource(trainPath, { limit: ds.limit }),
    openSource(testPath, { limit: ds.limit }),
  ]);
  const train = requireLabels(trainSource, 'finetune');
  const test = requireLabels(testSource, 'finetune');
  const spec: TensorSpec = {
    channels: input.channels,
    height: input.height,
    width: input.width,
    mean: ds.mean,
    std: ds.std,
  };
  return {
    spec,
    augment: FINETUNE_AUGMENT,
    classes: Math.max(train.classes.length, test.classes.length),
    train: { images: await readRange(trainSource, 0, trainSource.count), labels: train.labels },
    test: { tensor: toTensor(await readRange(testSource, 0, testSource.count), spec), labels: test.labels },
  };
}

export async function finetune(req: FinetuneRequest, ctl: JobControl = {}): Promise<FinetuneResult> {
  const epochs = positive(req.epochs, DEFAULT_EPOCHS, 'epochs', true);
  const optimizer = req.optimizer ?? 'adamw';
  if (optimizer !== 'adamw' && optimizer !== 'sgd')
    throw new MemLensError('BAD_INPUT', `optimizer must be adamw or sgd, got '${optimizer}'`);
  const lr = positive(req.lr, DEFAULT_LR[optimizer], 'learning rate', false);
  if (req.out) assertNotSamePath(req.model, req.out);
  const ds = await dataSettings({ ...req, data: req.train, batch: req.batch ?? DEFAULT_FINETUNE_BATCH });
  const model = await loadModel(req.model);
  const input = modelInput(model, ds.size);
  // Data first: a set without labels fails before the LayerMem pass that `auto` runs.
  const data = await runData(ds.data, req.test, ds, input);
  const candidates = await rankingData(req);
  const ranking = req.layers.startsWith('auto') ? candidates : undefined;
  const layers = await selectLayers(
    model,
    req.layers,
    {
      reference: req.reference,
      layermem: { data: ranking ?? ds.data, limit: ds.limit, mean: ds.mean, std: ds.std, size: ds.size, seed: ds.seed },
    },
    ctl,
  );
  const settings: Omit<RunSettings, 'plan'> = {
    epochs,
    batch: ds.batch,
    lr,
    seed: ds.seed,
    optimizer: { ...DEFAULT_OPTIMIZER, kind: optimizer },
    schedule: { kind: 'cosine' },
  };
  const chw: [number, number, number] = [input.channels, input.height, input.width];
  const run = async (trainable: Param[], stage: string) => {
    const bytes = trainable.reduce((sum, p) => sum + p.data.byteLength, 0);
    const plan = planTraining({}, ds.batch, bytes);
    const models = await trainingModels(
      model.proto,
      { input: input.name, chw, classes: data.classes, trainable: trainable.map((p) => p.name), threads: plan.threads },
      model.path,
    );
    const head = headParams(data.classes, models.features, ds.seed);
    const params = [...trainable, ...head];
    const stats = await trainRun(models, params, input.name, data, { ...settings, plan }, ctl, stage);
    return { stats, head, embeddingRank: models.embeddingRank };
  };
  const baseline = await run([], 'head only (baseline)');
  const tunedParams = encoderParams(model, layers);
  const tuned = await run(tunedParams, 'fine-tuning');

  const memorization = await memorizationBeforeAfter(
    { candidates, reference: req.reference, control: req.control },
    ds,
    model,
    tunedParams,
    ctl,
  );
  const names = layers.map((l) => l.name);
  const recorded = {
    layers: req.layers,
    reference: req.reference ?? null,
    rankedOn: ranking ?? null,
    delta: Object.fromEntries(layers.filter((l) => l.delta !== undefined).map((l) => [l.name, l.delta])),
    epochs,
    batch: ds.batch,
    optimizer: settings.optimizer,
    lr,
    schedule: settings.schedule,
    seed: ds.seed,
    mean: ds.mean,
    std: ds.std,
    normalizationFrom: ds.normalizationFrom,
    size: [input.height, input.width],
    augment: FINETUNE_AUGMENT,
    limit: ds.limit ?? null,
    head: req.head ?? false,
  };
  const last = (s: { accuracy: number }[]) => s[s.length - 1].accuracy;
  const result: FinetuneResult = {
    schema: 'memlens.finetune/1',
    model: { path: model.path, sha256: model.sha256 },
    settings: recorded,
    layers: names,
    probe: { kind: 'linear head', optimizer, epochs, lr, batch: ds.batch, seed: ds.seed },
    baseline: { accuracy: last(baseline.stats), epochs: baseline.stats },
    finetuned: { accuracy: last(tuned.stats) },
    memorization,
    epochs: tuned.stats,
  };
  if (req.out) {
    const out = req.out;
    // The document is the commit point: a killed run never leaves the old one beside the new model.
    await writeDocumentLast(resultPath(out), async () => {
      const [weight, bias] = tuned.head;
      await exportFinetuned({
        source: model,
        encoder: tunedParams,
        head: req.head ? { weight, bias, embeddingRank: tuned.embeddingRank } : undefined,
        provenance: {
          [SOURCE_SHA256_KEY]: model.sha256,
          [LAYERS_KEY]: JSON.stringify(names),
          'memlens.finetune.settings': JSON.stringify(recorded),
          'memlens.finetune.accuracy': JSON.stringify({
            baseline: result.baseline.accuracy,
            finetuned: result.finetuned.accuracy,
          }),
          'memlens.version': __MEMLENS_VERSION__,
        },
        out,
      });
      result.out = out;
      return JSON.stringify(result, null, 2) + '\n';
    });
  }
  return result;
}
