// A view worker (view-pool.ts): renders the images of the samples it is sent into the pool's shared
// buffer with the same routine the in-process feed runs (view-task.ts). Built as an entry of its
// own beside each bundle (scripts/workers.js).
import { parentPort } from 'node:worker_threads';
import { serveCalls } from '../workers.js';
import type { ViewJob } from './view-pool.js';
import { floatsPerSample, renderSample } from './view-task.js';

serveCalls<ViewJob>(parentPort!, (m) => {
  const floats = floatsPerSample(m.task);
  m.samples.forEach((s, k) =>
    renderSample(m.task, s.index, s.raws, new Float32Array(m.buffer, (m.offset + k * floats) * 4, floats)),
  );
});
