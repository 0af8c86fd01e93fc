// onnxruntime side of the fine-tuning benchmark (bundled and run by finetune-bench.js): the trainer
// the fine-tuning loop runs (trainer.ts: one session, or shards in worker threads), on the training
// graph of the chosen layers + head, fed one fixed random batch per step, AdamW.
//   finetune-ort.mjs MODEL LAYERS BATCH STEPS THREADS WARMUP  ->  one JSON line
//   finetune-ort.mjs MODEL LAYERS BATCH STEPS THREADS WARMUP PROFILE  ->  per-op time table (finetune-bench.js --profile)
import { trainingModels } from '../../src/main/engine/finetune/training.js';
import { Optimizer, DEFAULT_OPTIMIZER } from '../../src/main/engine/finetune/optim.js';
import { ortSession } from '../../src/main/engine/finetune/runtime.js';
import { openTrainer, planTraining } from '../../src/main/engine/finetune/trainer.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { selectLayers } from '../../src/main/engine/finetune/select.js';
import { LABELS, LOSS, HEAD_WEIGHT, HEAD_BIAS } from '../../src/main/engine/finetune/training.js';
import { modelInput } from '../../src/main/engine/infer/input.js';
import { loadModel, tensorToFloat32 } from '../../src/main/engine/onnx/index.js';
import * as ort from 'onnxruntime-node';

const [path, layerSpec, batchArg, stepsArg, threadsArg, warmupArg, profile] = process.argv.slice(2);
const warmup = Number(warmupArg);
const batch = Number(batchArg);
const steps = Number(stepsArg);
const classes = 10;
const model = await loadModel(path);
const input = modelInput(model);
const layers = await selectLayers(model, layerSpec, {});
const names = layers.flatMap((l) => l.params);
const chw = [input.channels, input.height, input.width];
const inits = new Map(model.proto.graph.initializer.map((t) => [t.name, t]));
const runtime = { threads: Number(threadsArg), cpuOnly: Boolean(profile) };
const bytes = names.reduce((sum, n) => sum + 4 * inits.get(n).dims.reduce((a, d) => a * Number(d), 1), 0);
// Profiling: one CPU session of the given threads; else the plan the fine-tuning job makes.
const plan = profile ? { shards: 1, threads: runtime.threads, why: 'profile' } : planTraining(runtime, batch, bytes);
const models = await trainingModels(
  model.proto,
  { input: input.name, chw, classes, trainable: names, threads: plan.threads },
  path,
);
const params = [
  ...names.map((n) => ({ name: n, dims: inits.get(n).dims.map(Number), data: tensorToFloat32(inits.get(n)).slice() })),
  { name: HEAD_WEIGHT, dims: [classes, models.features], data: new Float32Array(classes * models.features).fill(0.01) },
  { name: HEAD_BIAS, dims: [classes], data: new Float32Array(classes) },
];
const x = Float32Array.from({ length: batch * chw[0] * chw[1] * chw[2] }, (_, i) => Math.sin(i));
const onehot = new Float32Array(batch * classes);
for (let i = 0; i < batch; i++) onehot[i * classes + (i % classes)] = 1;
const optimizer = { ...DEFAULT_OPTIMIZER, kind: 'adamw' };
let note = '';
// Profiling: one CPU session as runtime.ts opens it, with onnxruntime's profiler on, and the
// optimizer in JS as the one-session trainer runs it.
const session = profile
  ? await ortSession(models.train, 'training graph', runtime, { enableProfiling: true, profileFilePrefix: profile })
  : undefined;
const trainer = profile
  ? undefined
  : await openTrainer(
      models,
      params,
      { input: input.name, chw, classes, batch },
      { optimizer, runtime, plan },
      {
        onNote: (n) => (note = n),
      },
    );
const opt = profile
  ? new Optimizer(
      params.map((p) => p.data),
      optimizer,
    )
  : undefined;
async function step() {
  if (trainer) return trainer.step(x, onehot, batch, 1e-3);
  const feeds = {
    [input.name]: new ort.Tensor('float32', x, [batch, ...chw]),
    [LABELS]: new ort.Tensor('float32', onehot, [batch, classes]),
  };
  for (const p of params) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  const out = await session.run(feeds, [LOSS, ...models.grads]);
  opt.step(
    models.grads.map((g) => out[g].data),
    1e-3,
  );
}
// As the fine-tuning loop (loop.ts) does, the trainer gets each step before the one before it is
// done; the profiled session runs them one by one.
async function run(count) {
  let previous;
  for (let i = 0; i < count; i++) {
    const next = step();
    if (trainer) await previous;
    else await next;
    previous = next;
  }
  await previous;
}
await run(warmup); // allocations, kernel selection
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(steps);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await trainer?.release();
if (profile) {
  // Kernel events of the timed steps (the warm-up's are in the file too: skip those runs).
  // onnxruntime-node's endProfiling does not return the file's name: the newest with the prefix.
  session.session.endProfiling();
  const files = readdirSync(dirname(profile)).filter((f) => f.startsWith(basename(profile)) && f.endsWith('.json'));
  const events = JSON.parse(readFileSync(join(dirname(profile), files.sort().pop()), 'utf8'));
  const runs = events.filter((ev) => ev.name === 'model_run');
  const from = runs[warmup]?.ts ?? 0;
  const byOp = new Map();
  const byNode = new Map();
  for (const ev of events) {
    if (ev.cat !== 'Node' || !ev.name.endsWith('_kernel_time') || ev.ts < from) continue;
    const op = ev.args.op_name;
    byOp.set(op, (byOp.get(op) ?? 0) + ev.dur);
    const node = ev.name.slice(0, -'_kernel_time'.length);
    byNode.set(node, { op, us: (byNode.get(node)?.us ?? 0) + ev.dur });
  }
  const ms = (us) => (us / 1000 / steps).toFixed(2).padStart(8);
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(`step ${((seconds * 1000) / steps).toFixed(1)} ms wall, ${ms(total).trim()} ms in kernels`);
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(20)}${ms(us)} ms`);
  console.log('slowest nodes:');
  for (const [node, v] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 40))
    console.log(`  ${v.op.padEnd(16)}${ms(v.us)} ms  ${node}`);
  process.exit(0);
}
console.log(
  JSON.stringify({
    impl: 'onnxruntime',
    note,
    params: names,
    batch,
    steps,
    seconds,
    cpuSeconds,
    imagesPerSec: (batch * steps) / seconds,
  }),
);
