// Fine-tuning benchmark (issue 18): a training step of MemLens's onnxruntime training graph
// (forward + backward of the chosen layers and the head, AdamW in JS) next to PyTorch eager on the
// same model, batch, trainable set and thread count. Data preparation is left out of both. Two cases:
//   demo      the demo CNN (28x28), every layer trainable + head, batch 64: images/s
//   resnet50  torchvision ResNet-50 at 224 (seeded weights, exported on first use), every layer
//             trainable + head, batch 8: seconds per step
// The sides alternate for --rounds rounds; each is reported by its fastest round (other work on a
// shared machine only ever slows a round down), with the per-round ratios beside it, and the process
// CPU time per step (less sensitive to that other work). Prints a table and writes out/bench/finetune.json.
//   node scripts/bench/finetune-bench.js [--cases demo,resnet50] [--layers all|last:K|NAMES] [--threads 2] [--rounds 3]
//        [--model M --batch 64 --steps 20]   (the demo case on another model, batch or step count)
//        [--warmup N]  untimed steps before each round's timed ones (default: demo 50, resnet50 2)
//        [--profile]   onnxruntime side only, with its profiler on: kernel time per op and the slowest nodes
import { bundleNode, bundleWorkers } from '../build-cli.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: o } = parseArgsOrExit({
  options: {
    cases: { type: 'string', default: 'demo,resnet50' },
    model: { type: 'string', default: join(root, 'resources/demo/ssl-cnn-f.onnx') },
    layers: { type: 'string', default: 'all' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
/** parseArgs, its refusal of an unknown or ambiguous option in one line. */
function parseArgsOrExit(config) {
  try {
    return parseArgs(config);
  } catch (e) {
    console.error(`finetune-bench: ${e.message.split('\n')[0]}`);
    process.exit(2);
  }
}

// counts: whole numbers, refused in one line before any side runs (--warmup may be 0)
for (const [name, least] of [
  ['batch', 1],
  ['steps', 1],
  ['threads', 1],
  ['rounds', 1],
  ['warmup', 0],
]) {
  const v = o[name];
  if (v !== undefined && !(/^\d+$/.test(v) && Number(v) >= least)) {
    console.error(`finetune-bench: --${name} must be a whole number >= ${least}, got '${v}'`);
    process.exit(2);
  }
}

const outDir = join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, 'finetune-ort.mjs');
// the shard worker beside the bench's bundle, where the engine looks for it (src/main/engine/workers.ts)
await Promise.all([bundleNode(join(root, 'scripts/bench/finetune-ort.js'), entry), bundleWorkers(outDir)]);

function resnet50() {
  const path = join(root, 'out', 'zoo224', 'resnet50.onnx');
  if (!existsSync(path))
    run('/usr/bin/python3', [join(root, 'scripts/zoo/make-zoo.py'), dirname(path), 'resnet50', '--size', '224'], false);
  return path;
}

const CASES = {
  // Each round is a fresh process, so the warm-up is where each side reaches its steady state. A
  // MemLens shard's C heap grows under the copies onnxruntime-node makes of each run's outputs until
  // V8 frees them at a steady pace: 1.6 MB of fresh pages a run (~3.5 ms of page faults) for about
  // 30 of the first 60 steps (docs/FINETUNE.md, "Eighth round"); an epoch has ~940.
  demo: () => ({ name: 'demo CNN', model: o.model, batch: o.batch, steps: o.steps, warmup: o.warmup ?? '50' }),
  // ~2 s per step on an idle 2-core machine: few steps. Two warm-ups: onnxruntime's memory pattern
  // places its planned block on the second run, whose first touch of it made that step 1.5x the
  // next (PyTorch's second step is already as fast as its third).
  resnet50: () => ({ name: 'ResNet-50 224', model: resnet50(), batch: '8', steps: '2', warmup: o.warmup ?? '2' }),
};

function run(cmd, args, json = true) {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, MEMLENS_THREADS: o.threads },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return json ? JSON.parse(r.stdout.trim().split('\n').pop()) : undefined;
}
const fastest = (runs) => runs.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
const pct = (r) => `${(r * 100).toFixed(0)}%`;

const reports = [];
for (const name of o.cases.split(',')) {
  if (!CASES[name]) throw new Error(`unknown case '${name}' (one of ${Object.keys(CASES).join(', ')})`);
  const c = CASES[name]();
  if (o.profile) {
    console.log(`${c.name}, batch ${c.batch}, ${o.threads} threads, kernel time per step:`);
    const args = [entry, c.model, o.layers, c.batch, c.steps, o.threads, c.warmup, join(outDir, 'finetune-profile')];
    spawnSync(process.execPath, args, {
      env: { ...process.env, MEMLENS_THREADS: o.threads },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    continue;
  }
  const ortRuns = [];
  const torchRuns = [];
  for (let r = 0; r < Number(o.rounds); r++) {
    ortRuns.push(run(process.execPath, [entry, c.model, o.layers, c.batch, c.steps, o.threads, c.warmup]));
    const params = ortRuns[0].params.join(',');
    const torch = join(root, 'scripts/bench/finetune-torch.py');
    torchRuns.push(run('/usr/bin/python3', [torch, c.model, params, c.batch, c.steps, o.threads, o.device, c.warmup]));
  }
  const [ortRun, torchRun] = [fastest(ortRuns), fastest(torchRuns)];
  const cpu = (runs) => Math.min(...runs.map((r) => r.cpuSeconds / r.steps));
  const report = {
    case: c.name,
    model: c.model,
    layers: o.layers,
    trainableTensors: ortRun.params.length,
    batch: Number(c.batch),
    warmup: Number(c.warmup),
    threads: Number(o.threads),
    rounds: ortRuns.map((r, i) => ({
      onnxruntime: r.imagesPerSec,
      pytorch: torchRuns[i].imagesPerSec,
      ratio: r.imagesPerSec / torchRuns[i].imagesPerSec,
    })),
    onnxruntime: ortRun,
    pytorch: torchRun,
    ratio: ortRun.imagesPerSec / torchRun.imagesPerSec,
    // CPU seconds per step, fewest of the rounds; PyTorch / onnxruntime (above 1: MemLens does less work)
    cpuPerStep: { onnxruntime: cpu(ortRuns), pytorch: cpu(torchRuns) },
    cpuRatio: cpu(torchRuns) / cpu(ortRuns),
  };
  reports.push(report);
  console.log(
    `${c.name}: fine-tuning ${c.model} (${o.layers}: ${ortRun.params.length} tensors + head), batch ${c.batch}, ${o.threads} threads, fastest of ${o.rounds} rounds after ${c.warmup} warm-up steps`,
  );
  for (const r of [ortRun, torchRun]) {
    const step = r.seconds / r.steps;
    console.log(
      `  ${r.impl.padEnd(24)} ${r.imagesPerSec.toFixed(1).padStart(9)} images/s  ${step.toFixed(3).padStart(7)} s/step  ${(r.cpuSeconds / r.steps).toFixed(3).padStart(7)} CPU s/step`,
    );
  }
  console.log(
    `  onnxruntime / pytorch: ${pct(report.ratio)} (per round: ${report.rounds.map((r) => pct(r.ratio)).join(' ')}); CPU per step: ${pct(report.cpuRatio)}`,
  );
}
if (!o.profile) writeFileSync(join(outDir, 'finetune.json'), JSON.stringify(reports, null, 2) + '\n');
