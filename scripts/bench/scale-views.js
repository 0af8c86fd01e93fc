// The data side of the scale benchmark, bundled with the engine by scale-bench.js: decode every
// image of a folder and cut V SimCLR views at SxS, batch by batch as UnitMem's feed does (in the
// view worker pool that MEMLENS_VIEW_WORKERS sizes, 0: on the main thread), with no encoder.
// Prints one JSON line: views per second, and per CPU-second of the whole process (sharp's and the
// pool's threads included), i.e. views per second per core.
//   scale-views.js FOLDER VIEWS SIZE BATCH_SAMPLES
import { openSource } from '../../src/main/engine/data/source.js';
import { resolveAugment } from '../../src/main/engine/data/views.js';
import { viewFeed } from '../../src/main/engine/infer/feed.js';
import { startViewPool } from '../../src/main/engine/infer/view-pool.js';

const [folder, v, s, b] = process.argv.slice(2);
const [views, size, batch] = [Number(v), Number(s), Number(b)];
const source = await openSource(folder);
const spec = { channels: 3, height: size, width: size, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const pool = startViewPool(size, size, { onNote: (line) => process.stderr.write(`${line}\n`) });
const fill = viewFeed({ source, spec, augment: resolveAugment('simclr'), seed: 0, views, anchor: false, pool });
const out = new Float32Array(batch * views * 3 * size * size);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let start = 0; start < source.count; start += batch) {
  const n = Math.min(batch, source.count - start);
  await fill(start, n, out.subarray(0, n * views * 3 * size * size));
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await pool?.close();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const total = source.count * views;
console.log(
  JSON.stringify({
    workers: pool?.size ?? 0,
    views: total,
    seconds,
    cpuSeconds,
    viewsPerSec: total / seconds,
    viewsPerCoreSec: total / cpuSeconds,
  }),
);
