// Scale benchmark (issue 14): UnitMem of torchvision's ResNet-50 at 224x224 (seeded weights, from
// scripts/zoo/make-zoo.py) on a folder of 200 JPEGs of 400x300 (made here), 2 SimCLR views each,
// 2 threads, side by side in one run: MemLens end to end with its default batch (sized from the
// memory budget) against a PyTorch eager pass with forward hooks on the same layers (batch 32,
// scripts/bench/scale-torch.py). The two alternate for --rounds rounds; wall time is each one's
// fastest round (other work on a shared machine only slows a run down), peak RSS its highest.
// Prints a table and writes out/bench/scale.json (docs/SCALE.md quotes it).
//   node scripts/bench/scale-bench.js [--images 200] [--views 2] [--threads 2] [--rounds 2] [--batch N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildCli, bundleNode, bundleWorkers } from '../build-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: o } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    views: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    // MemLens's batch; default: its own choice from the memory budget
    batch: { type: 'string' },
  },
});
const MEAN = '0.485,0.456,0.406';
const STD = '0.229,0.224,0.225';
const dir = join(root, 'out', 'bench', 'scale');
const model = join(dir, 'resnet50.onnx');
const images = join(dir, `jpegs-${o.images}`);
mkdirSync(dir, { recursive: true });

function run(cmd, args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, stdout: r.stdout, stderr: r.stderr };
}

// the CLI measured is the one of these sources: a stale out/cli bundle once ran batch 256 and took 11 GB
await buildCli();
if (!existsSync(model))
  run('/usr/bin/python3', [join(root, 'scripts/zoo/make-zoo.py'), dir, 'resnet50', '--size', '224']);

/** 400x300 photos-like enough for JPEG: smooth gradients, a few blocks, seeded noise. */
async function makeImages() {
  mkdirSync(images, { recursive: true });
  const [w, h] = [400, 300];
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < Number(o.images); k++) {
    const file = join(images, `img-${String(k).padStart(4, '0')}.jpg`);
    if (existsSync(file)) continue;
    const px = Buffer.alloc(w * h * 3);
    const [a, b, c] = [rand(), rand(), rand()];
    const blocks = Array.from({ length: 4 }, () => [rand() * w, rand() * h, 20 + rand() * 100, rand() * 255]);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        const inBlock = blocks.find(([bx, by, s]) => Math.abs(x - bx) < s && Math.abs(y - by) < s);
        const base = inBlock ? inBlock[3] : 255 * ((a * x) / w + (b * y) / h) * 0.5 + 60 * c;
        for (let ch = 0; ch < 3; ch++)
          px[i + ch] = Math.max(0, Math.min(255, base + (ch - 1) * 30 * a + (rand() - 0.5) * 40));
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(file);
  }
}
await makeImages();

const peak = join(dir, 'peak-rss.cjs');
writeFileSync(
  peak,
  "process.on('exit', () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n",
);
const doc = join(dir, 'unitmem.json');
function memlens() {
  const args = [
    join(root, 'bin', 'memlens.js'),
    'unitmem',
    model,
    '--data',
    images,
    '--views',
    o.views,
    '--mean',
    MEAN,
    '--std',
    STD,
    '--out',
    doc,
  ];
  const r = run(process.execPath, ['--require', peak, ...args, ...(o.batch ? ['--batch', o.batch] : [])], {
    MEMLENS_THREADS: o.threads,
    MEMLENS_NO_CACHE: '1',
  });
  const d = JSON.parse(readFileSync(doc, 'utf8'));
  const kb = Number(/peak-rss-kb (\d+)/.exec(r.stderr)[1]);
  const mean = d.layers.flatMap((l) => l.unitmem).reduce((s, v, _, all) => s + v / all.length, 0);
  return {
    impl: 'memlens',
    batch: d.settings.batch,
    // what the CLI said it picked (the batch, where views are cut)
    notes: r.stderr.split('\n').filter((l) => /^(batch|views cut)/.test(l)),
    layers: d.layers.length,
    seconds: r.seconds,
    peakRssMB: kb / 1024,
    meanUnitMem: mean,
    names: d.layers.map((l) => l.name),
  };
}
/**
 * The torch module of an exported node: its scopes name children relative to their parent, except
 * that a container's items carry the container's name (/layer1/layer1.0/downsample/downsample.0/Conv
 * -> layer1.0.downsample.0).
 */
function moduleOf(name) {
  const path = [];
  for (const seg of name.split('/').slice(1, -1)) {
    if (path.length && seg.startsWith(`${path[path.length - 1]}.`)) path[path.length - 1] = seg;
    else path.push(seg);
  }
  return path.join('.');
}
function torch(names) {
  const args = [
    join(root, 'scripts/bench/scale-torch.py'),
    '--images',
    images,
    '--modules',
    names.map(moduleOf).join(','),
  ];
  const r = run('/usr/bin/python3', [
    ...args,
    '--views',
    o.views,
    '--threads',
    o.threads,
    '--batch',
    '32',
    '--mean',
    MEAN,
    '--std',
    STD,
  ]);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), seconds: r.seconds };
}

// the data pipeline alone: decode + views, no encoder (views per second per core), on the main
// thread and in the view worker pool (its default size), alternating; each one's fastest round
const viewsEntry = join(root, 'out', 'bench', 'scale-views.mjs');
await Promise.all([
  bundleNode(join(root, 'scripts/bench/scale-views.js'), viewsEntry),
  bundleWorkers(join(root, 'out', 'bench')),
]);
const views = (workers) =>
  JSON.parse(
    run(process.execPath, [viewsEntry, images, o.views, '224', '16'], {
      UV_THREADPOOL_SIZE: o.threads,
      ...(workers === undefined ? {} : { MEMLENS_VIEW_WORKERS: workers }),
    }).stdout.trim(),
  );
const pipelineRounds = { main: [], pool: [] };
for (let k = 0; k < 2; k++) {
  pipelineRounds.main.push(views('0'));
  pipelineRounds.pool.push(views(undefined));
}
const fastest = (rs) => rs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const pipeline = { main: fastest(pipelineRounds.main), pool: fastest(pipelineRounds.pool) };

const rounds = [];
let names;
for (let k = 0; k < Number(o.rounds); k++) {
  const m = memlens();
  names = m.names;
  rounds.push({ memlens: m, pytorch: torch(names) });
}
const side = (s) => ({
  ...rounds.map((r) => r[s]).reduce((a, b) => (b.seconds < a.seconds ? b : a)),
  peakRssMB: Math.max(...rounds.map((r) => r[s].peakRssMB)),
});
const [m, t] = [side('memlens'), side('pytorch')];
delete m.names;
const summary = {
  model: 'torchvision resnet50 (seeded), 224x224',
  images: Number(o.images),
  views: Number(o.views),
  threads: Number(o.threads),
  memlens: m,
  pytorch: t,
  pipeline,
  speedup: t.seconds / m.seconds,
  rssRatio: m.peakRssMB / t.peakRssMB,
  rounds: rounds.map((r) => ({
    memlensSeconds: r.memlens.seconds,
    pytorchSeconds: r.pytorch.seconds,
    speedup: r.pytorch.seconds / r.memlens.seconds,
  })),
};
writeFileSync(join(root, 'out', 'bench', 'scale.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(
  `Scale bench: ResNet-50 224x224, ${o.images} JPEGs 400x300 x ${o.views} views, ${m.layers} layers, ${o.threads} threads, fastest of ${o.rounds} rounds`,
);
console.log('impl             batch   wall s   peak RSS MB');
for (const r of [m, t])
  console.log(
    `${r.impl.padEnd(16)} ${String(r.batch).padStart(5)} ${r.seconds.toFixed(1).padStart(8)} ${r.peakRssMB.toFixed(0).padStart(13)}`,
  );
for (const [name, p] of Object.entries(pipeline))
  console.log(
    `data pipeline alone (decode + views, no encoder), ${name === 'main' ? 'main thread' : `pool of ${p.workers}`}: ${p.viewsPerSec.toFixed(0)} views/s, ${p.viewsPerCoreSec.toFixed(0)} views per CPU-second`,
  );
console.log(`MemLens said: ${m.notes.join('; ')}`);
console.log(`per round MemLens speed-up: ${summary.rounds.map((r) => r.speedup.toFixed(2) + 'x').join(', ')}`);
console.log(
  `MemLens vs PyTorch eager: ${summary.speedup.toFixed(2)}x faster (goal >= 1.5x), peak RSS ${summary.rssRatio.toFixed(2)}x (goal <= 1.5x)`,
);
