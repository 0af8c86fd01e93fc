// Per-op time of one fine-tuning training graph (onnxruntime's profiler): which ops a training
// step spends its time in. Same model, trainable set and batch as finetune-bench.js.
//   node scripts/bench/finetune-profile.js [--model M] [--layers all] [--batch 64] [--steps 10] [--threads 2]
import { bundleNode } from '../build-cli.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'resources/demo/ssl-cnn-f.onnx') },
    layers: { type: 'string', default: 'all' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
  },
});
const outDir = join(root, 'out', 'bench');
mkdirSync(outDir, { recursive: true });
const entry = join(outDir, 'finetune-ort.mjs');
await bundleNode(join(root, 'scripts/bench/finetune-ort.js'), entry);
const r = spawnSync(process.execPath, [entry, o.model, o.layers, o.batch, o.steps, o.threads, '3', join(outDir, 'finetune-profile')], {
  encoding: 'utf8',
  stdio: ['ignore', 'inherit', 'inherit'],
});
process.exit(r.status ?? 1);
