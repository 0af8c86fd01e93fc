import { describe, expect, it } from 'vitest';
import {
  applyProgress,
  etaSeconds,
  formatEta,
  fraction,
  type JobView,
} from '../../../src/renderer/src/lib/progress.js';

const start: JobView = { jobId: 'j', stage: 'starting', done: 0, total: 0, stageStart: 0, metrics: [] };

describe('job progress', () => {
  it('follows its own job only, restarts the clock on a new stage and collects metrics', () => {
    let v = applyProgress(start, { jobId: 'other', done: 5, total: 9, stage: 'x' }, 100);
    expect(v).toBe(start);
    v = applyProgress(v, { jobId: 'j', done: 1, total: 10, stage: 'views' }, 1000);
    expect(v).toMatchObject({ stage: 'views', done: 1, total: 10, stageStart: 1000 });
    v = applyProgress(v, { jobId: 'j', done: 4, total: 10, stage: 'views' }, 4000);
    expect(v.stageStart).toBe(1000);
    v = applyProgress(
      v,
      { jobId: 'j', done: 1, total: 3, stage: 'epochs', metrics: { loss: 0.7, accuracy: 0.5 } },
      5000,
    );
    expect(v.stageStart).toBe(5000);
    expect(v.metrics).toEqual([{ loss: 0.7, accuracy: 0.5 }]);
    v = applyProgress(
      v,
      { jobId: 'j', done: 2, total: 3, stage: 'epochs', metrics: { loss: 0.5, accuracy: 0.6 } },
      6000,
    );
    expect(v.metrics).toEqual([
      { loss: 0.7, accuracy: 0.5 },
      { loss: 0.5, accuracy: 0.6 },
    ]);
    v = applyProgress(
      v,
      { jobId: 'j', done: 1, total: 3, stage: 'fine-tuning', metrics: { loss: 0.9, accuracy: 0.4 } },
      7000,
    );
    expect(v.metrics).toEqual([{ loss: 0.9, accuracy: 0.4 }]);
  });

  it('estimates the time left from the rate so far', () => {
    const v = { ...start, stage: 'views', done: 4, total: 10, stageStart: 0 };
    // 4 done in 8 s -> 2 s each -> 6 left -> 12 s
    expect(etaSeconds(v, 8000)).toBe(12);
    expect(formatEta(12)).toBe('12 s left');
    expect(formatEta(125)).toBe('2 min 5 s left');
    expect(etaSeconds({ ...v, done: 0 }, 8000)).toBeUndefined();
    expect(etaSeconds({ ...v, done: 10 }, 8000)).toBeUndefined();
    expect(fraction(v)).toBe(0.4);
    expect(fraction({ done: 3, total: 0 })).toBe(0);
  });
});
