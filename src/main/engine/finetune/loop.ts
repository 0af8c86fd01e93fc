// One training run: seeded mini-batches of augmented views, the training model on onnxruntime,
// the optimizer in JS, and the head's test accuracy after every epoch.
import * as ort from 'onnxruntime-node';
import type { AugmentSettings, JobControl } from '../../../shared/api.js';
import { throwIfAborted } from '../errors.js';
import type { RawImage } from '../data/image.js';
import type { TensorSpec } from '../data/preprocess.js';
import { permutation, Random } from '../data/random.js';
import { viewsToTensor } from '../data/views.js';
import { learningRate, type OptimizerSettings, type Schedule } from './optim.js';
import { ortSession, type OrtSession, type RuntimeOptions } from './runtime.js';
import { openTrainer, paramFeed, type Param, type TrainingPlan } from './trainer.js';
import { LOGITS, type TrainingModels } from './training.js';

export type { Param };

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
  /** What runs the steps (planTraining); the training graph was built for it. */
  plan: TrainingPlan;
}

export interface EpochStats {
  loss: number;
  accuracy: number;
}

function oneHot(labels: Int32Array, rows: Int32Array, classes: number, out: Float32Array): Float32Array {
  out.fill(0);
  rows.forEach((r, i) => (out[i * classes + labels[r]] = 1));
  return out;
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
  const weights = Object.fromEntries(params.map((p) => [p.name, paramFeed(p)]));
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
  const { spec, classes } = data;
  const chw = [spec.channels, spec.height, spec.width];
  const train = await openTrainer(models, params, { input, chw, classes, batch: s.batch }, s, ctl);
  const evaluate = await ortSession(models.evaluate, 'the evaluation graph', s.runtime);
  const count = data.train.labels.length;
  const stepsPerEpoch = Math.ceil(count / s.batch);
  const total = s.epochs * stepsPerEpoch;
  const image = spec.channels * spec.height * spec.width;
  // Two sets of batch buffers: batch k+1's views are cut into one while step k runs from the
  // other (in the shard workers: the main thread is free then).
  const buffers = [0, 1].map(() => ({
    images: new Float32Array(s.batch * image),
    labels: new Float32Array(s.batch * classes),
  }));
  const stats: EpochStats[] = [];
  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = permutation(count, new Random(s.seed, epoch));
      const batch = (k: number) => {
        const rows = order.subarray(k * s.batch, Math.min(count, (k + 1) * s.batch));
        const keys = Array.from(rows, (sample) => ({ sample, view: epoch }));
        const into = buffers[k % 2];
        const images = viewsToTensor(
          keys.map((key) => data.train.images[key.sample]),
          keys,
          data.augment,
          s.seed,
          spec,
          into.images.subarray(0, rows.length * image),
        );
        return { images, onehot: oneHot(data.train.labels, rows, classes, into.labels), n: rows.length };
      };
      let lossSum = 0;
      // Step k is given before step k - 1 is awaited, so the shards go on to it without waiting
      // for this thread; batch k + 1 is then cut into the buffers step k - 1 read.
      let running: { loss: Promise<number>; n: number; step: number } | undefined;
      const finish = async () => {
        if (!running) return;
        lossSum += (await running.loss) * running.n;
        ctl.onProgress?.(running.step + 1, total, stage);
      };
      let next = batch(0);
      for (let k = 0; k < stepsPerEpoch; k++) {
        throwIfAborted(ctl.signal);
        const step = epoch * stepsPerEpoch + k;
        const { images, onehot, n } = next;
        const loss = train.step(images, onehot, n, learningRate(s.lr, s.schedule, step, total));
        // handled here too: should the previous step or cutting the next batch throw, a failing
        // step is no unhandled rejection
        loss.catch(() => undefined);
        await finish();
        running = { loss, n, step };
        if (k + 1 < stepsPerEpoch) next = batch(k + 1);
      }
      await finish();
      train.sync();
      const epochStats = {
        loss: lossSum / count,
        accuracy: await accuracy(evaluate, params, input, data, s.batch),
      };
      stats.push(epochStats);
      // The epoch's figures ride on a progress event, so the app draws live loss/accuracy curves.
      ctl.onProgress?.((epoch + 1) * stepsPerEpoch, total, stage, { ...epochStats });
    }
  } finally {
    await train.release();
    await evaluate.session.release();
  }
  return stats;
}
