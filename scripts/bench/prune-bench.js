// Benchmark (issue 13): (1) `memlens prune` of torchvision ResNet-50 at 224 (l1, 30% per layer,
// structural, default options) and its export, wall and CPU time of the whole CLI process, beside
// the CLI's bare start-up (`memlens --help`), alternating in each round; (2) onnxruntime latency at
// batch 32 of the original, the pruned export (align 1, the default) and the pruned export with
// --align 16, interleaved per round. Figures go to docs/PRUNING.md.
// Usage: node scripts/bench/prune-bench.js [rounds=5]   (models cached in $TMPDIR/memlens-bench/)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildCli } from '../build-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv[2] ?? 5);
const work = join(tmpdir(), 'memlens-bench');
mkdirSync(work, { recursive: true });
await buildCli();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (before, after) => `${(((after - before) / before) * 100).toFixed(1)}%`;
const cli = (args) => [process.execPath, join(root, 'bin', 'memlens.js'), ...args];

/** One process under GNU time: wall time, CPU time (user + sys) and its stdout. */
function timed(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${argv.slice(1, 4).join(' ')} failed: ${r.stderr}`);
  const [wall, user, sys] = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr).slice(1).map(Number);
  return { wall, cpu: user + sys, stdout: r.stdout };
}

const model = join(work, 'zoo224', 'resnet50.onnx');
if (!existsSync(model)) {
  process.stderr.write('exporting torchvision resnet50 at 224 (scripts/zoo/make-zoo.py)...\n');
  execFileSync(
    '/usr/bin/python3',
    [join(root, 'scripts', 'zoo', 'make-zoo.py'), dirname(model), 'resnet50', '--size', '224'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
const pruneArgs = (out, extra = []) =>
  cli(['prune', model, '--strategy', 'l1', '--ratio', '0.3', '--scope', 'layer', '--out', out, '--json', ...extra]);

// (1) The prune process, alternating with the bare start-up in every round.
const files = {
  original: model,
  'align 1 (default)': join(work, 'resnet50-pruned.onnx'),
  'align 16': join(work, 'resnet50-pruned-align16.onnx'),
};
const prune = [];
const startup = [];
let doc;
for (let r = 0; r < rounds; r++) {
  startup.push(timed(cli(['--help'])));
  const t = timed(pruneArgs(files['align 1 (default)']));
  doc = JSON.parse(t.stdout);
  prune.push(t);
}
const aligned = JSON.parse(timed(pruneArgs(files['align 16'], ['--align', '16'])).stdout);
const fmt = (xs, k) =>
  `median ${median(xs.map((x) => x[k])).toFixed(2)} s, fastest ${Math.min(...xs.map((x) => x[k])).toFixed(2)} s`;
console.log(
  `ResNet-50 (torchvision, 224, ${(readFileSync(model).length / 2 ** 20).toFixed(0)} MiB), l1 30% per layer, defaults, whole CLI process, ${rounds} rounds:`,
);
console.log(`  prune + export   wall ${fmt(prune, 'wall')}; CPU ${fmt(prune, 'cpu')}`);
console.log(`  memlens --help   wall ${fmt(startup, 'wall')}; CPU ${fmt(startup, 'cpu')}`);
console.log(
  `  per-round wall ratio prune / start-up: ${prune.map((p, i) => (p.wall / startup[i].wall).toFixed(2)).join(', ')}`,
);
console.log(`  load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
for (const [name, d] of [
  ['align 1 (default)', doc],
  ['align 16', aligned],
]) {
  const masked = d.layers.reduce((n, l) => n + l.masked, 0);
  console.log(
    `  ${name.padEnd(17)} params ${pct(d.params.before, d.params.after)}, FLOPs ${pct(d.flops.before, d.flops.after)}, bytes ${pct(d.bytes.before, d.bytes.after)}, ${masked} selected units masked`,
  );
}

// (2) Latency at batch 32, the three models interleaved in every round (first round: warm-up).
const batch = 32;
const threads = Number(process.env.BENCH_THREADS ?? 1);
const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const sessions = {};
for (const [name, f] of Object.entries(files))
  sessions[name] = await ort.InferenceSession.create(readFileSync(f), opts);
const input = new ort.Tensor(
  'float32',
  Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i / 7)),
  [batch, 3, 224, 224],
);
const times = Object.fromEntries(Object.keys(files).map((n) => [n, []]));
for (let r = 0; r <= rounds; r++) {
  for (const [name, s] of Object.entries(sessions)) {
    const t0 = performance.now();
    await s.run({ [s.inputNames[0]]: input });
    if (r > 0) times[name].push(performance.now() - t0);
  }
}
console.log(`onnxruntime, batch ${batch}, ${threads} thread(s), ${rounds} interleaved rounds after one warm-up:`);
for (const [name, ts] of Object.entries(times)) {
  const ratios = ts.map((t, i) => (times.original[i] / t).toFixed(2));
  console.log(
    `  ${name.padEnd(17)} fastest ${Math.min(...ts).toFixed(0)} ms, median ${median(ts).toFixed(0)} ms; speed-up per round ${ratios.join(', ')}`,
  );
}
