// One measuring pass over a data source: views fed to one or more tapped encoders, batch by batch,
// each batch's tap outputs handed to the metric's accumulators.
import type { JobControl } from '../../../shared/api.js';
import { runBatches } from '../infer/batches.js';
import type { TappedEncoder } from '../infer/encoder.js';
import { viewFeed, type FeedOptions } from '../infer/feed.js';
import { imagesPerSample } from '../infer/view-task.js';
import { tapOutputs } from '../infer/encoder.js';
import { startViewPool } from '../infer/view-pool.js';

/** Rows of a batch of tap outputs: `sampleOf[r]` is the source index of row r's sample. */
export interface BatchRows {
  start: number;
  count: number;
  sampleOf: Int32Array;
}

export async function measure(
  encoders: TappedEncoder[],
  feed: FeedOptions,
  batchImages: number,
  stage: string,
  onBatch: (rows: BatchRows, outputs: Record<string, Float32Array>[]) => Promise<void> | void,
  ctl: JobControl = {},
  /** Samples [from, to) only: a shard, or what a resumed run has left. */
  [from, to]: [number, number] = [0, feed.source.count],
): Promise<void> {
  const { channels, height, width } = encoders[0].input;
  const perSample = imagesPerSample(feed);
  const pool = startViewPool(height, width, ctl);
  try {
    await runBatches(
      encoders.map((e) => ({ session: e.session, inputName: e.input.name, outputs: tapOutputs(e) })),
      {
        chw: [channels, height, width],
        first: from,
        count: to - from,
        perSample,
        batchImages,
        stage,
        fill: viewFeed({ ...feed, pool }),
        consume(start, count, outputs) {
          const sampleOf = new Int32Array(count * perSample);
          for (let r = 0; r < sampleOf.length; r++) sampleOf[r] = start + Math.floor(r / perSample);
          return onBatch({ start, count, sampleOf }, outputs);
        },
      },
      ctl,
    );
  } finally {
    await Promise.all([...encoders.map((e) => e.session.release()), pool?.close()]);
  }
}
