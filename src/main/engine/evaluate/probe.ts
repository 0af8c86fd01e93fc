// One probe run on labelled train/test features: the figures an evaluate or compare point reports.
import { throwIfAborted } from '../errors.js';
import type { Labelled } from './features.js';
import { DEFAULT_K, DEFAULT_TEMPERATURE, knnPredict } from './knn.js';
import { DEFAULT_WEIGHT_DECAY, probePredict, trainLinearProbe } from './linear-probe.js';

export type ProbeKind = 'linear' | 'knn';

export interface ProbeSettings {
  probe: ProbeKind;
  /** kNN only. */
  k?: number;
  temperature?: number;
  /** Linear probe only. */
  weightDecay?: number;
}

export interface ProbeScore {
  accuracy: number;
  /** Accuracy per class (aligned with the class list); null where the test set has none. */
  perClass: (number | null)[];
  /** 1 where the test image was classified right (compare's bootstrap and paired tests run on these). */
  correct: Uint8Array;
  /** How the probe was fitted (linear: L-BFGS iterations and convergence). */
  fit?: { iterations: number; converged: boolean; loss: number };
}

/** Settings with every default filled in, as recorded in result documents. */
export function probeSettings(s: Partial<ProbeSettings>): ProbeSettings {
  const probe = s.probe ?? 'linear';
  return probe === 'knn'
    ? { probe, k: s.k ?? DEFAULT_K, temperature: s.temperature ?? DEFAULT_TEMPERATURE }
    : { probe, weightDecay: s.weightDecay ?? DEFAULT_WEIGHT_DECAY };
}

export function scorePredictions(
  pred: Int32Array,
  labels: Int32Array,
  classes: number,
): Pick<ProbeScore, 'accuracy' | 'perClass' | 'correct'> {
  const hit = new Float64Array(classes);
  const total = new Float64Array(classes);
  const correct = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    total[labels[i]]++;
    correct[i] = pred[i] === labels[i] ? 1 : 0;
    hit[labels[i]] += correct[i];
  }
  const right = hit.reduce((a, b) => a + b, 0);
  return {
    accuracy: pred.length ? right / pred.length : 0,
    perClass: Array.from(total, (t, c) => (t ? hit[c] / t : null)),
    correct,
  };
}

/** Fits on `train`, scores on `test`; a fired signal stops the linear probe between iterations. */
export function runProbe(
  train: Labelled,
  test: Labelled,
  classes: number,
  s: ProbeSettings,
  signal?: AbortSignal,
): ProbeScore {
  if (s.probe === 'knn') {
    return scorePredictions(
      knnPredict(train, test, classes, { k: s.k, temperature: s.temperature }),
      test.labels,
      classes,
    );
  }
  const probe = trainLinearProbe(train, classes, {
    weightDecay: s.weightDecay,
    onIteration: () => throwIfAborted(signal),
  });
  return {
    ...scorePredictions(probePredict(probe, test), test.labels, classes),
    fit: { iterations: probe.fit.iterations, converged: probe.fit.converged, loss: probe.fit.f },
  };
}
