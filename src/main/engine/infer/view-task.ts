// One sample's images in a batch: its un-augmented anchor and its seeded views, or the given views of
// a view folder. The one routine both the in-process feed (feed.ts) and the view workers
// (view-worker.ts) run, so pooled batches are the in-process ones byte for byte.
import type { AugmentSettings } from '../../../shared/api.js';
import type { RawImage } from '../data/image.js';
import { toTensor, type TensorSpec } from '../data/preprocess.js';
import { viewsToTensor, type ViewKey } from '../data/views.js';

/** What a sample's images depend on besides its pixels: plain data, so it can be posted to a worker. */
export interface ViewTask {
  spec: TensorSpec;
  augment: AugmentSettings;
  seed: number;
  views: number;
  anchor: boolean;
  /** Use a view folder's given views (augment 'none') instead of augmenting the first image. */
  given: boolean;
}

/** Images per sample in a batch. */
export function imagesPerSample(o: Pick<ViewTask, 'views' | 'anchor'>): number {
  return o.views + (o.anchor ? 1 : 0);
}

/** Floats one sample takes in a batch: its images, one after the other. */
export function floatsPerSample(t: ViewTask): number {
  return imagesPerSample(t) * t.spec.channels * t.spec.height * t.spec.width;
}

/**
 * Writes sample `sample`'s images (`raws`: its given views, or its image first) into `out`, which
 * holds exactly imagesPerSample(t) images. A view-folder sample must have that many views (checked
 * by the caller, which knows the sample's id).
 */
export function renderSample(t: ViewTask, sample: number, raws: RawImage[], out: Float32Array): void {
  const image = t.spec.channels * t.spec.height * t.spec.width;
  const per = imagesPerSample(t);
  if (t.given) {
    toTensor(raws.slice(0, per), t.spec, out);
    return;
  }
  const raw = raws[0];
  if (t.anchor) toTensor([raw], t.spec, out.subarray(0, image));
  const first = t.anchor ? 1 : 0;
  const images = new Array<RawImage>(t.views).fill(raw);
  const keys: ViewKey[] = images.map((_, v) => ({ sample, view: v }));
  viewsToTensor(images, keys, t.augment, t.seed, t.spec, out.subarray(first * image, per * image));
}
