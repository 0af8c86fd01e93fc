// UnitMem benchmark (issue 4): 1000 samples x 10 views on the demo CNN, all layers tapped at once,
// SimCLR views on, side by side in one run: MemLens end to end, onnxruntime alone on the same tapped
// graph with the batches already in memory, and a PyTorch eager implementation of the same pass
// (same weights, batch size and thread count). The three alternate for --rounds rounds and each is
// reported by its fastest round (other work on a shared machine only ever slows a run down; single
// runs here swung by 30%), the per-round ratios beside. Prints a table and writes out/bench/unitmem.json.
//   node scripts/bench/unitmem-bench.js [--model M] [--data IDX] [--samples 1000] [--views 10] [--batch 250] [--threads 2] [--rounds 3]
import { bundleNode } from '../build-cli.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'resources/demo/ssl-cnn-f.onnx') },
    data: { type: 'string', default: join(root, 'resources/demo/data/test-images-idx3-ubyte.gz') }, // 1000 images
    samples: { type: 'string', default: '1000' },
    views: { type: 'string', default: '10' },
    batch: { type: 'string', default: '250' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    // the demo project's normalization (Fashion-MNIST)
    mean: { type: 'string', default: '0.2860' },
    std: { type: 'string', default: '0.3530' },
  },
});

const outDir = join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, 'unitmem-passes.mjs');
await bundleNode(join(root, 'scripts/bench/unitmem-passes.js'), entry);

const env = { ...process.env, MEMLENS_THREADS: o.threads, MEMLENS_NO_CACHE: '1', BENCH_MEAN: o.mean, BENCH_STD: o.std };
function run(cmd, args) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const node = (mode) => run(process.execPath, [entry, mode, o.model, o.data, o.samples, o.views, o.batch]);

const taps = node('taps');
const torchRun = () =>
  run('/usr/bin/python3', [
    join(root, 'scripts/bench/unitmem-torch.py'),
    ...['--model', o.model, '--images', o.data, '--taps', taps.join(','), '--samples', o.samples],
    ...['--views', o.views, '--batch', o.batch, '--threads', o.threads, '--mean', o.mean, '--std', o.std],
  ]);
const rounds = [];
for (let r = 0; r < Number(o.rounds); r++) rounds.push([node('memlens'), node('ort'), torchRun()]);
const fastest = (i) => rounds.map((r) => r[i]).reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
const rows = [fastest(0), fastest(1), fastest(2)];
const [memlens, raw, torch] = rows;
const summary = {
  model: o.model,
  layers: taps.length,
  threads: Number(o.threads),
  rows,
  memlensVsPytorch: memlens.imagesPerSec / torch.imagesPerSec,
  memlensVsOrtRaw: memlens.imagesPerSec / raw.imagesPerSec,
  // images per CPU-second: the same ratios with contention from other processes factored out
  cpuMemlensVsPytorch: torch.cpuSeconds / memlens.cpuSeconds,
  cpuMemlensVsOrtRaw: raw.cpuSeconds / memlens.cpuSeconds,
  rounds: rounds.map(([m, r, t]) => ({ memlens: m.imagesPerSec, ortRaw: r.imagesPerSec, pytorch: t.imagesPerSec })),
};
writeFileSync(join(outDir, 'unitmem.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(
  `UnitMem bench: ${o.samples} samples x ${o.views} views, ${taps.length} layers, batch ${o.batch}, ${o.threads} threads, fastest of ${o.rounds} rounds`,
);
console.log('impl              samples/s   images/s   images/CPU-s   peak RSS MB');
for (const r of rows) {
  const perCpu = (r.samples * r.views) / r.cpuSeconds;
  console.log(
    `${r.impl.padEnd(16)} ${r.samplesPerSec.toFixed(0).padStart(10)} ${r.imagesPerSec.toFixed(0).padStart(10)} ${perCpu.toFixed(0).padStart(14)} ${r.peakRssMB.toFixed(0).padStart(13)}`,
  );
}
const pct = (x) => `${(100 * x).toFixed(0)}%`;
console.log(
  `MemLens / PyTorch eager: ${summary.memlensVsPytorch.toFixed(2)}x wall, ${summary.cpuMemlensVsPytorch.toFixed(2)}x CPU (goal >= 2x)`,
);
console.log(
  `MemLens / onnxruntime raw: ${pct(summary.memlensVsOrtRaw)} wall, ${pct(summary.cpuMemlensVsOrtRaw)} CPU (goal >= 75%)`,
);
const perRound = (f) => summary.rounds.map(f).join(' ');
console.log(
  `per round: MemLens / PyTorch ${perRound((r) => `${(r.memlens / r.pytorch).toFixed(2)}x`)}; MemLens / raw ${perRound((r) => pct(r.memlens / r.ortRaw))}`,
);
console.log(
  `load average during the run: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
