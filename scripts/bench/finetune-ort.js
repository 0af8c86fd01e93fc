// onnxruntime side of the fine-tuning benchmark (bundled and run by finetune-bench.js): the training
// graph of the chosen layers + head, fed one fixed random batch per step, AdamW in JS.
//   finetune-ort.mjs MODEL LAYERS BATCH STEPS THREADS  ->  one JSON line
import { trainingModels } from '../../src/main/engine/finetune/training.js';
import { Optimizer, DEFAULT_OPTIMIZER } from '../../src/main/engine/finetune/optim.js';
import { ortSession } from '../../src/main/engine/finetune/runtime.js';
import { selectLayers } from '../../src/main/engine/finetune/select.js';
import { LABELS, LOSS, HEAD_WEIGHT, HEAD_BIAS } from '../../src/main/engine/finetune/training.js';
import { modelInput } from '../../src/main/engine/infer/input.js';
import { loadModel, tensorToFloat32 } from '../../src/main/engine/onnx/index.js';
import * as ort from 'onnxruntime-node';

const [path, layerSpec, batchArg, stepsArg, threadsArg] = process.argv.slice(2);
const batch = Number(batchArg);
const steps = Number(stepsArg);
const classes = 10;
const model = await loadModel(path);
const input = modelInput(model);
const layers = await selectLayers(model, layerSpec, {});
const names = layers.flatMap((l) => l.params);
const chw = [input.channels, input.height, input.width];
const models = await trainingModels(model.proto, { input: input.name, chw, classes, trainable: names }, path);
const { session, provider } = await ortSession(models.train, 'training graph', { threads: Number(threadsArg) });
const inits = new Map(model.proto.graph.initializer.map((t) => [t.name, t]));
const params = [
  ...names.map((n) => ({ name: n, dims: inits.get(n).dims.map(Number), data: tensorToFloat32(inits.get(n)).slice() })),
  { name: HEAD_WEIGHT, dims: [classes, models.features], data: new Float32Array(classes * models.features).fill(0.01) },
  { name: HEAD_BIAS, dims: [classes], data: new Float32Array(classes) },
];
const x = Float32Array.from({ length: batch * chw[0] * chw[1] * chw[2] }, (_, i) => Math.sin(i));
const onehot = new Float32Array(batch * classes);
for (let i = 0; i < batch; i++) onehot[i * classes + (i % classes)] = 1;
const opt = new Optimizer(params.map((p) => p.data), { ...DEFAULT_OPTIMIZER, kind: 'adamw' });
async function step() {
  const feeds = {
    [input.name]: new ort.Tensor('float32', x, [batch, ...chw]),
    [LABELS]: new ort.Tensor('float32', onehot, [batch, classes]),
  };
  for (const p of params) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  const out = await session.run(feeds, [LOSS, ...models.grads]);
  opt.step(models.grads.map((g) => out[g].data), 1e-3);
}
for (let i = 0; i < 3; i++) await step(); // warm-up: allocations, kernel selection
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ impl: `onnxruntime-${provider}`, params: names, batch, steps, seconds, imagesPerSec: (batch * steps) / seconds }));
