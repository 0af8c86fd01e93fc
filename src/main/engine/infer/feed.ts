// Fills inference batches from a data source: per sample, optionally its un-augmented anchor, then
// its views (seeded, so view v of sample i is the same whatever the batch or the encoder, which is
// what lets f and g see the same views for LayerMem). Samples are read (and decoded by sharp, off
// the JS thread) here; their images are rendered here or, with a pool, in its workers.
import type { AugmentSettings } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import type { RawImage } from '../data/image.js';
import type { TensorSpec } from '../data/preprocess.js';
import type { DataSource } from '../data/source.js';
import type { ViewPool } from './view-pool.js';
import { floatsPerSample, imagesPerSample, renderSample, type ViewTask } from './view-task.js';

export interface FeedOptions {
  source: DataSource;
  spec: TensorSpec;
  augment: AugmentSettings;
  seed: number;
  /** Views per sample (augmented, or the given ones of a view folder with augment 'none'). */
  views: number;
  /** Put the un-augmented image (a view folder's first view) before the views. */
  anchor: boolean;
  /** Render in these workers instead of on the calling thread (the same bytes). */
  pool?: ViewPool;
}

/** A BatchPlan.fill: writes samples [start, start + n) sample-major into `out`. */
export function viewFeed(o: FeedOptions): (start: number, n: number, out: Float32Array) => Promise<void> {
  const { source, spec } = o;
  const task: ViewTask = {
    spec,
    augment: o.augment,
    seed: o.seed,
    views: o.views,
    anchor: o.anchor,
    given: o.augment.kind === 'none' && source.readViews !== undefined,
  };
  const per = imagesPerSample(task);
  const floats = floatsPerSample(task);
  return async (start, n, out) => {
    const ids = Array.from({ length: n }, (_, s) => start + s);
    // Reads run concurrently: decoding (sharp) happens off the JS thread.
    const raws: RawImage[][] = await Promise.all(
      ids.map((i) => (task.given ? source.readViews!(i) : source.read(i).then((r) => [r]))),
    );
    raws.forEach((r, s) => {
      if (task.given && r.length < per) {
        throw new MemLensError(
          'BAD_DATA',
          `sample ${source.ids[ids[s]]} of ${source.path} has ${r.length} views; ${per} are needed`,
        );
      }
    });
    if (o.pool) {
      await o.pool.render(
        task,
        ids.map((index, s) => ({ index, raws: raws[s] })),
        out,
      );
      return;
    }
    ids.forEach((index, s) => renderSample(task, index, raws[s], out.subarray(s * floats, (s + 1) * floats)));
  };
}
