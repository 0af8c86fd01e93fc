// Input checks every metric shares: enough samples, and labels where a metric needs classes.
import { MemLensError } from '../errors.js';
import type { DataSource } from '../data/source.js';

/** max-vs-rest and pairwise metrics are undefined on fewer than `min` samples. */
export function requireSamples(source: DataSource, min: number, metric: string): void {
  if (source.count < min) {
    throw new MemLensError('BAD_DATA', `${metric} needs at least ${min} samples; ${source.path} has ${source.count}`);
  }
}

/** Labels and class names; classes are named by their label number when the source has no names. */
export function requireLabels(source: DataSource, metric: string): { labels: Int32Array; classes: string[] } {
  if (!source.labels) {
    throw new MemLensError(
      'BAD_DATA',
      `${metric} needs labelled data; ${source.path} has no labels (use class folders, IDX with a labels file, or CIFAR)`,
    );
  }
  let top = -1;
  for (const l of source.labels) top = Math.max(top, l);
  const classes = source.classes ?? Array.from({ length: top + 1 }, (_, i) => String(i));
  return { labels: source.labels, classes };
}
