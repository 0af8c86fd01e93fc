// A view worker (view-pool.ts): renders the images of the samples it is sent into the pool's shared
// buffer with the same routine the in-process feed runs (view-task.ts). Built as an entry of its
// own beside each bundle (scripts/build-cli.js, electron.vite.config.ts, test/support/workers.ts).
import { parentPort } from 'node:worker_threads';
import type { ViewJob, ViewReply } from './view-pool.js';
import { floatsPerSample, renderSample } from './view-task.js';

const port = parentPort!;
port.on('message', (m: ViewJob) => {
  let reply: ViewReply;
  try {
    const floats = floatsPerSample(m.task);
    m.samples.forEach((s, k) =>
      renderSample(m.task, s.index, s.raws, new Float32Array(m.buffer, (m.offset + k * floats) * 4, floats)),
    );
    reply = { id: m.id };
  } catch (e) {
    reply = { id: m.id, error: (e as Error).message, code: (e as { code?: string }).code };
  }
  port.postMessage(reply);
});
