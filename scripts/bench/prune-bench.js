// Benchmark (issue 5): (1) structural pruning + export of a ResNet-50-sized model through the CLI,
// wall time of the whole process (goal < 3 s); (2) onnxruntime latency of the demo CNN pruned
// structurally at 30% vs the original (the point of cutting units: it must be faster).
// Usage: node scripts/bench/prune-bench.js [runs=3]   (ResNet-50 cached in $TMPDIR/memlens-bench/)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildCli } from '../build-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 3);
const work = join(tmpdir(), 'memlens-bench');
mkdirSync(work, { recursive: true });
await buildCli();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (before, after) => `${(((after - before) / before) * 100).toFixed(1)}%`;

/**
 * One `memlens prune ... --json` process under GNU time: wall time, CPU time (user + sys; on a busy
 * shared machine the wall time mostly measures the other processes) and the result document.
 */
function prune(model, out, extra = []) {
  const args = [process.execPath, join(root, 'bin', 'memlens.js'), 'prune', model, '--strategy', 'l1', '--ratio', '0.3', '--scope', 'layer', '--out', out, '--json', ...extra];
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memlens prune failed: ${r.stderr}`);
  const [wall, user, sys] = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr).slice(1).map(Number);
  return { seconds: wall, cpu: user + sys, doc: JSON.parse(r.stdout) };
}

// (1) ResNet-50: engineer B's generator (torchvision resnet50, seeded random weights, ~100 MB).
const resnet = join(work, 'resnet50.onnx');
if (!existsSync(resnet)) {
  process.stderr.write('generating a ResNet-50-sized model with torchvision...\n');
  execFileSync('/usr/bin/python3', [join(root, 'scripts', 'bench', 'onnx-codec.py'), 'generate', resnet], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const resnetOut = join(work, 'resnet50-pruned.onnx');
const timed = Array.from({ length: runs }, () => prune(resnet, resnetOut));
const doc = timed[0].doc;
const structural = doc.groups.filter((g) => g.mode === 'structural').length;
// The export must run and compute what the mask export computes (cut units output exactly 0 there).
const maskOut = join(work, 'resnet50-masked.onnx');
prune(resnet, maskOut, ['--mode', 'mask']);
const image = new ort.Tensor('float32', Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i / 7)), [1, 3, 224, 224]);
const outputOf = async (path) => {
  const s = await ort.InferenceSession.create(readFileSync(path));
  return (await s.run({ [s.inputNames[0]]: image }))[s.outputNames[0]].data;
};
const [cutY, maskY] = [await outputOf(resnetOut), await outputOf(maskOut)];
const scale = Math.max(...maskY.map(Math.abs));
const diff = Math.max(...cutY.map((v, i) => Math.abs(v - maskY[i])));
console.log(`ResNet-50 (${(readFileSync(resnet).length / 2 ** 20).toFixed(0)} MiB), l1 30% per layer, structural, whole CLI process:`);
console.log(`  wall time median of ${runs}: ${median(timed.map((t) => t.seconds)).toFixed(2)} s (runs: ${timed.map((t) => t.seconds.toFixed(2)).join(', ')}; goal < 3 s)`);
console.log(`  CPU time (user+sys) median: ${median(timed.map((t) => t.cpu)).toFixed(2)} s; load average at start ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
console.log(`  params ${doc.params.before} -> ${doc.params.after} (${pct(doc.params.before, doc.params.after)}), FLOPs ${doc.flops.before} -> ${doc.flops.after} (${pct(doc.flops.before, doc.flops.after)})`);
console.log(`  groups: ${structural} cut structurally, ${doc.groups.length - structural} masked`);
console.log(`  structural vs mask export on one image: max |diff| ${diff.toExponential(2)} (outputs up to ${scale.toFixed(3)})`);

// (2) Demo CNN latency, original vs pruned, same session options, interleaved runs.
const demo = join(root, 'resources', 'demo', 'ssl-cnn-f.onnx');
if (!existsSync(demo)) {
  console.log(`demo CNN ${demo} not found: latency part skipped`);
  process.exit(0);
}
// Variants: the defaults (align 16, coupling intersection), coupled partners ranked together, and
// align 8 (below onnxruntime's 16-channel block on AVX-512).
const variants = {
  'pruned 30%': [],
  'pruned 30%, --coupling group': ['--coupling', 'group'],
  'pruned 30%, --align 8': ['--align', '8'],
};
const docs = {};
const files = { original: demo };
for (const [name, extra] of Object.entries(variants)) {
  files[name] = join(work, `ssl-cnn-f-${Object.keys(files).length}.onnx`);
  docs[name] = prune(demo, files[name], extra).doc;
}
const batch = 256;
const threads = Number(process.env.BENCH_THREADS ?? 1);
const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const sessions = {};
for (const [name, f] of Object.entries(files)) sessions[name] = await ort.InferenceSession.create(readFileSync(f), opts);
const input = new ort.Tensor('float32', Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i)), [batch, 1, 28, 28]);
const times = Object.fromEntries(Object.keys(files).map((n) => [n, []]));
for (let i = 0; i < 45; i++) {
  for (const [name, s] of Object.entries(sessions)) {
    const t0 = performance.now();
    await s.run({ [s.inputNames[0]]: input });
    if (i >= 5) times[name].push(performance.now() - t0); // first 5: warm-up
  }
}
const o = median(times.original);
console.log(`demo CNN (l1, scope layer), batch ${batch}, ${threads} thread(s), median of 40 interleaved runs after 5 warm-up:`);
console.log(`  original ${o.toFixed(1)} ms, FLOPs ${docs['pruned 30%'].flops.before}`);
for (const [name, d] of Object.entries(docs)) {
  const t = median(times[name]);
  console.log(`  ${name.padEnd(30)} ${t.toFixed(1)} ms: ${(o / t).toFixed(2)}x faster; params ${d.params.before} -> ${d.params.after}, FLOPs ${pct(d.flops.before, d.flops.after)}`);
}
