// Fills inference batches from a data source: per sample, optionally its un-augmented anchor, then
// its views (seeded, so view v of sample i is the same whatever the batch or the encoder, which is
// what lets f and g see the same views for LayerMem).
import type { AugmentSettings } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import type { RawImage } from '../data/image.js';
import { toTensor, type TensorSpec } from '../data/preprocess.js';
import type { DataSource } from '../data/source.js';
import { viewsToTensor, type ViewKey } from '../data/views.js';

export interface FeedOptions {
  source: DataSource;
  spec: TensorSpec;
  augment: AugmentSettings;
  seed: number;
  /** Views per sample (augmented, or the given ones of a view folder with augment 'none'). */
  views: number;
  /** Put the un-augmented image (a view folder's first view) before the views. */
  anchor: boolean;
}

export function imagesPerSample(o: Pick<FeedOptions, 'views' | 'anchor'>): number {
  return o.views + (o.anchor ? 1 : 0);
}

/** A BatchPlan.fill: writes samples [start, start + n) sample-major into `out`. */
export function viewFeed(o: FeedOptions): (start: number, n: number, out: Float32Array) => Promise<void> {
  const { source, spec } = o;
  const image = spec.channels * spec.height * spec.width;
  const per = imagesPerSample(o);
  const given = o.augment.kind === 'none' && source.readViews !== undefined;
  return async (start, n, out) => {
    const ids = Array.from({ length: n }, (_, s) => start + s);
    // Reads run concurrently: decoding (sharp) happens off the JS thread.
    const raws: RawImage[][] = await Promise.all(
      ids.map((i) => (given ? source.readViews!(i) : source.read(i).then((r) => [r]))),
    );
    for (let s = 0; s < n; s++) {
      const at = (k: number, count: number) => out.subarray((s * per + k) * image, (s * per + k + count) * image);
      if (given) {
        if (raws[s].length < per) {
          throw new MemLensError(
            'BAD_DATA',
            `sample ${source.ids[ids[s]]} of ${source.path} has ${raws[s].length} views; ${per} are needed`,
          );
        }
        toTensor(raws[s].slice(0, per), spec, at(0, per));
        continue;
      }
      const raw = raws[s][0];
      if (o.anchor) toTensor([raw], spec, at(0, 1));
      const first = o.anchor ? 1 : 0;
      const images = new Array<RawImage>(o.views).fill(raw);
      const keys: ViewKey[] = images.map((_, v) => ({ sample: ids[s], view: v }));
      viewsToTensor(images, keys, o.augment, o.seed, spec, at(first, o.views));
    }
  };
}
