// Fine-tuning benchmark (issue 7): training images/s on the demo CNN, MemLens's onnxruntime training
// graph (forward + backward of the chosen layers and the head, AdamW in JS) next to PyTorch eager on
// the same model, batch, trainable set and thread count. Data preparation is left out of both.
// The two alternate for --rounds rounds; each is reported by its fastest round (other work on a
// shared machine only ever slows a round down), with the per-round ratios beside it. Prints a table and writes out/bench/finetune.json.
//   node scripts/bench/finetune-bench.js [--model M] [--layers all|last:K|NAMES] [--batch 64] [--steps 20] [--threads 2] [--rounds 3]
import { bundleNode } from '../build-cli.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'resources/demo/ssl-cnn-f.onnx') },
    layers: { type: 'string', default: 'all' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' },
    rounds: { type: 'string', default: '3' },
  },
});

const outDir = join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, 'finetune-ort.mjs');
await bundleNode(join(root, 'scripts/bench/finetune-ort.js'), entry);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { env: { ...process.env, MEMLENS_THREADS: o.threads }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const fastest = (runs) => runs.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
const ortRuns = [];
const torchRuns = [];
for (let r = 0; r < Number(o.rounds); r++) {
  ortRuns.push(run(process.execPath, [entry, o.model, o.layers, o.batch, o.steps, o.threads]));
  const params = ortRuns[0].params.join(',');
  torchRuns.push(run('/usr/bin/python3', [join(root, 'scripts/bench/finetune-torch.py'), o.model, params, o.batch, o.steps, o.threads, o.device]));
}
const [ortRun, torchRun] = [fastest(ortRuns), fastest(torchRuns)];
const ratio = ortRun.imagesPerSec / torchRun.imagesPerSec;
const report = {
  model: o.model,
  layers: o.layers,
  trainableTensors: ortRun.params.length,
  batch: Number(o.batch),
  threads: Number(o.threads),
  rounds: ortRuns.map((r, i) => ({ onnxruntime: r.imagesPerSec, pytorch: torchRuns[i].imagesPerSec, ratio: r.imagesPerSec / torchRuns[i].imagesPerSec })),
  onnxruntime: ortRun,
  pytorch: torchRun,
  ratio,
};
writeFileSync(join(outDir, 'finetune.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`fine-tuning ${o.model} (${o.layers}: ${ortRun.params.length} tensors + head), batch ${o.batch}, ${o.threads} threads, fastest of ${o.rounds} rounds`);
for (const r of [ortRun, torchRun]) console.log(`  ${r.impl.padEnd(24)} ${r.imagesPerSec.toFixed(1).padStart(9)} images/s`);
console.log(`  onnxruntime / pytorch: ${(ratio * 100).toFixed(0)}% (per round: ${report.rounds.map((r) => `${(r.ratio * 100).toFixed(0)}%`).join(' ')})`);
