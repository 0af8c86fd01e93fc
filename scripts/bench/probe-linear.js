// Benchmark (issue 6): linear probe on 10,000 x 512 synthetic features, 10 classes; goal < 10 s
// on one core. Usage: node scripts/bench/probe-linear.js [rows] [dim] [classes]
// Data: overlapping Gaussian class clusters (seeded), so the problem is not trivially separable.
import { bundleNode } from '../build-cli.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [rows = 10000, dim = 512, classes = 10] = process.argv.slice(2).map(Number);

const tmp = mkdtempSync(join(tmpdir(), 'memlens-bench-'));
await bundleNode(join(root, 'src/main/engine/evaluate/linear-probe.ts'), join(tmp, 'probe.mjs'));
const { trainLinearProbe, probePredict } = await import(pathToFileURL(join(tmp, 'probe.mjs')).href);
rmSync(tmp, { recursive: true });

// mulberry32 + Box-Muller: deterministic synthetic features.
let state = 12345;
const uniform = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const centers = Float64Array.from({ length: classes * dim }, () => 0.15 * gauss());
function sample(n) {
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < dim; j++) data[i * dim + j] = centers[c * dim + j] + gauss();
  }
  return { rows: n, dim, data, labels };
}
const train = sample(rows);
const test = sample(2000);

// CPU time too: the 2 cores here are shared, so wall time varies with the neighbours' load.
const c0 = process.cpuUsage();
const t0 = performance.now();
const probe = trainLinearProbe(train, classes);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const pred = probePredict(probe, test);
const acc = pred.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0) / test.rows;
console.log(
  JSON.stringify({
    rows,
    dim,
    classes,
    seconds: +seconds.toFixed(2),
    cpuSeconds: +cpuSeconds.toFixed(2),
    ...probe.fit,
    testAccuracy: acc,
    goalSeconds: 10,
  }),
);
