// One training run: seeded mini-batches of augmented views, the training model on onnxruntime,
// the optimizer in JS, and the head's test accuracy after every epoch.
import * as ort from 'onnxruntime-node';
import type { AugmentSettings, JobControl } from '../../../shared/api.js';
import { throwIfAborted } from '../errors.js';
import type { RawImage } from '../data/image.js';
import type { TensorSpec } from '../data/preprocess.js';
import { permutation, Random } from '../data/random.js';
import { viewsToTensor } from '../data/views.js';
import { learningRate, Optimizer, type OptimizerSettings, type Schedule } from './optim.js';
import { ortSession, type OrtSession, type RuntimeOptions } from './runtime.js';
import { LABELS, LOGITS, LOSS, type TrainingModels } from './training.js';

export interface Param {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface RunData {
  spec: TensorSpec;
  augment: AugmentSettings;
  classes: number;
  train: { images: RawImage[]; labels: Int32Array };
  /** Test images preprocessed once (no augmentation), NCHW. */
  test: { tensor: Float32Array; labels: Int32Array };
}

export interface RunSettings {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  optimizer: OptimizerSettings;
  schedule: Schedule;
  runtime?: RuntimeOptions;
}

export interface EpochStats {
  loss: number;
  accuracy: number;
}

const tensor = (p: Param) => new ort.Tensor('float32', p.data, p.dims);

function oneHot(labels: Int32Array, rows: Int32Array, classes: number): ort.Tensor {
  const out = new Float32Array(rows.length * classes);
  rows.forEach((r, i) => (out[i * classes + labels[r]] = 1));
  return new ort.Tensor('float32', out, [rows.length, classes]);
}

function argmaxHits(logits: Float32Array, classes: number, labels: Int32Array, from: number): number {
  let hits = 0;
  for (let i = 0; i * classes < logits.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[from + i]) hits++;
  }
  return hits;
}

async function accuracy(
  session: OrtSession,
  params: Param[],
  input: string,
  data: RunData,
  batch: number,
): Promise<number> {
  const { spec, classes } = data;
  const { tensor: x, labels } = data.test;
  const image = spec.channels * spec.height * spec.width;
  const weights = Object.fromEntries(params.map((p) => [p.name, tensor(p)]));
  let hits = 0;
  for (let start = 0; start < labels.length; start += batch) {
    const n = Math.min(batch, labels.length - start);
    const images = new ort.Tensor('float32', x.subarray(start * image, (start + n) * image), [
      n,
      spec.channels,
      spec.height,
      spec.width,
    ]);
    const out = await session.run({ ...weights, [input]: images }, [LOGITS]);
    hits += argmaxHits(out[LOGITS].data as Float32Array, classes, labels, start);
  }
  return hits / labels.length;
}

/**
 * Trains `params` (updated in place) and returns per-epoch mean loss and test accuracy. The sample
 * order and the views depend only on the seed and epoch, so two runs with different trainable
 * sets see the same batches.
 */
export async function trainRun(
  models: TrainingModels,
  params: Param[],
  input: string,
  data: RunData,
  s: RunSettings,
  ctl: JobControl = {},
  stage = 'fine-tuning',
): Promise<EpochStats[]> {
  const train = await ortSession(models.train, 'the training graph', s.runtime);
  const evaluate = await ortSession(models.evaluate, 'the evaluation graph', s.runtime);
  const { spec, classes } = data;
  const count = data.train.labels.length;
  const stepsPerEpoch = Math.ceil(count / s.batch);
  const total = s.epochs * stepsPerEpoch;
  const optimizer = new Optimizer(
    params.map((p) => p.data),
    s.optimizer,
  );
  const image = spec.channels * spec.height * spec.width;
  const buffer = new Float32Array(s.batch * image);
  const stats: EpochStats[] = [];
  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = permutation(count, new Random(s.seed, epoch));
      let lossSum = 0;
      for (let k = 0; k < stepsPerEpoch; k++) {
        throwIfAborted(ctl.signal);
        const rows = order.subarray(k * s.batch, Math.min(count, (k + 1) * s.batch));
        const keys = Array.from(rows, (sample) => ({ sample, view: epoch }));
        const images = viewsToTensor(
          keys.map((key) => data.train.images[key.sample]),
          keys,
          data.augment,
          s.seed,
          spec,
          buffer.subarray(0, rows.length * image),
        );
        const feeds: Record<string, ort.Tensor> = {
          [input]: new ort.Tensor('float32', images, [rows.length, spec.channels, spec.height, spec.width]),
          [LABELS]: oneHot(data.train.labels, rows, classes),
        };
        for (const p of params) feeds[p.name] = tensor(p);
        const out = await train.run(feeds, [LOSS, ...models.grads]);
        lossSum += Number(out[LOSS].data[0]) * rows.length;
        const step = epoch * stepsPerEpoch + k;
        optimizer.step(
          models.grads.map((g) => out[g].data as Float32Array),
          learningRate(s.lr, s.schedule, step, total),
        );
        ctl.onProgress?.(step + 1, total, stage);
      }
      const epochStats = {
        loss: lossSum / count,
        accuracy: await accuracy(evaluate, params, input, data, s.batch),
      };
      stats.push(epochStats);
      // The epoch's figures ride on a progress event, so the app draws live loss/accuracy curves.
      ctl.onProgress?.((epoch + 1) * stepsPerEpoch, total, stage, { ...epochStats });
    }
  } finally {
    await train.session.release();
    await evaluate.session.release();
  }
  return stats;
}
