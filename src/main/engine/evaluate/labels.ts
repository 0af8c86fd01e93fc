// Aligning the class lists of a train and a test source: the probe learns train classes, so every
// test class must be one of them (matched by name; IDX/CIFAR classes are named by label number).
import { MemLensError } from '../errors.js';
import type { DataSource } from '../data/source.js';

export interface AlignedLabels {
  /** The train classes; labels below index into it. */
  classes: string[];
  train: Int32Array;
  test: Int32Array;
}

function namedLabels(source: DataSource, role: string): { labels: Int32Array; classes: string[] } {
  if (!source.labels) {
    throw new MemLensError(
      'BAD_DATA',
      `${role} data ${source.path} has no labels (use class folders, IDX with its labels file, or CIFAR batches)`,
    );
  }
  let top = -1;
  for (const l of source.labels) top = Math.max(top, l);
  return { labels: source.labels, classes: source.classes ?? Array.from({ length: top + 1 }, (_, k) => String(k)) };
}

/** The names of the classes that actually occur in `labels`, in class-list order. */
function present(labels: Int32Array, classes: string[]): string[] {
  const seen = new Uint8Array(classes.length);
  for (const l of labels) if (l >= 0) seen[l] = 1;
  return classes.filter((_, k) => seen[k]);
}

export function alignLabels(train: DataSource, test: DataSource): AlignedLabels {
  const tr = namedLabels(train, 'training');
  const te = namedLabels(test, 'test');
  const trainPresent = present(tr.labels, tr.classes);
  if (trainPresent.length < 2) {
    throw new MemLensError(
      'BAD_DATA',
      `training data ${train.path} has ${trainPresent.length} class; a probe needs at least 2`,
    );
  }
  if (tr.labels.some((l) => l < 0))
    throw new MemLensError('BAD_DATA', `training data ${train.path} has unlabelled samples`);
  const index = new Map(tr.classes.map((c, k) => [c, k]));
  const missing = present(te.labels, te.classes).filter((c) => !trainPresent.includes(c));
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', ...' : '');
    throw new MemLensError(
      'MISMATCH',
      `test data ${test.path} has classes absent from the training data ${train.path}: ${shown}`,
    );
  }
  if (te.labels.some((l) => l < 0)) throw new MemLensError('BAD_DATA', `test data ${test.path} has unlabelled samples`);
  return { classes: tr.classes, train: tr.labels, test: Int32Array.from(te.labels, (l) => index.get(te.classes[l])!) };
}
