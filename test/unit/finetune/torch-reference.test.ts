// Full-encoder gradients of the training graph on the demo CNN and ViT against PyTorch autograd on the same
// weights, batch, labels and head (scripts/torch-grad-reference.py, float64). The graph runs in the session
// the fine-tuning loop opens (on the CPU: Convs on the blocked kernels of nchwc.ts), in
// float32, so the expected gap is float32 accumulation error (~1e-6 relative per op, growing with
// depth): 1e-3 relative in the L2 norm of each gradient is far above it and far below any rule error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, expect, test } from 'vitest';
import { trainableLayers } from '../../../src/main/engine/finetune/select.js';
import { ortSession } from '../../../src/main/engine/finetune/runtime.js';
import { HEAD_BIAS, HEAD_WEIGHT, LABELS, LOSS, trainingModels } from '../../../src/main/engine/finetune/training.js';
import { loadModel, tensorToFloat32 } from '../../../src/main/engine/onnx/index.js';
import { DEMO, ROOT } from '../../support/cli.js';
import { missing, PYTHON } from '../../support/references.js';

// MEMLENS_GRAD_MODELS=a.onnx,b.onnx checks other encoders the same way.
const MODELS =
  process.env.MEMLENS_GRAD_MODELS?.split(',') ?? ['ssl-cnn-f.onnx', 'ssl-vit-f.onnx'].map((m) => join(DEMO, m));
const noTorch = missing('torch', 'onnx', 'numpy');
const dir = mkdtempSync(join(tmpdir(), 'memlens-grad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reference {
  x: number[];
  xShape: number[];
  labels: number[];
  headWeight: number[];
  headBias: number[];
  loss: number;
  grads: Record<string, number[]>;
}

function relativeL2(a: ArrayLike<number>, b: number[]): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

for (const MODEL of MODELS) {
  test.skipIf(noTorch || !existsSync(MODEL))(
    `${MODEL}: every weight and bias gradient matches PyTorch autograd`,
    async () => {
      const classes = 10;
      const batch = 8;
      const model = await loadModel(MODEL);
      const params = trainableLayers(model).flatMap((l) => l.params);
      const out = join(dir, 'reference.json');
      execFileSync(PYTHON, [
        join(ROOT, 'scripts', 'torch-grad-reference.py'),
        '--model',
        MODEL,
        '--params',
        params.join(','),
        '--classes',
        String(classes),
        '--batch',
        String(batch),
        '--out',
        out,
      ]);
      const ref = JSON.parse(readFileSync(out, 'utf8')) as Reference;

      const [, c, h, w] = ref.xShape;
      // Built for one-thread sessions (the shards: weight gradients by Slices) and for two (by Gathers).
      for (const threads of [1, 2]) {
        const models = await trainingModels(
          model.proto,
          { input: 'input', chw: [c, h, w], classes, trainable: params, threads },
          MODEL,
        );
        const train = await ortSession(models.train, MODEL, { threads });
        const inits = new Map(model.proto.graph!.initializer.map((t) => [t.name, t]));
        const onehot = new Float32Array(batch * classes);
        ref.labels.forEach((l, i) => (onehot[i * classes + l] = 1));
        const feeds: Record<string, ort.Tensor> = {
          input: new ort.Tensor('float32', Float32Array.from(ref.x), ref.xShape),
          [LABELS]: new ort.Tensor('float32', onehot, [batch, classes]),
          [HEAD_WEIGHT]: new ort.Tensor('float32', Float32Array.from(ref.headWeight), [classes, models.features]),
          [HEAD_BIAS]: new ort.Tensor('float32', Float32Array.from(ref.headBias), [classes]),
        };
        for (const p of params)
          feeds[p] = new ort.Tensor('float32', tensorToFloat32(inits.get(p)!), inits.get(p)!.dims.map(Number));
        const result = await train.run(feeds, [LOSS, ...models.grads]);
        await train.session.release();

        expect(Number(result[LOSS].data[0])).toBeCloseTo(ref.loss, 5);
        const names = [...params, HEAD_WEIGHT, HEAD_BIAS];
        const torchName = (p: string) => (p === HEAD_WEIGHT ? 'head.weight' : p === HEAD_BIAS ? 'head.bias' : p);
        names.forEach((p, k) => {
          const err = relativeL2(result[models.grads[k]].data as Float32Array, ref.grads[torchName(p)]);
          expect(err, `d loss / d ${p} (graph for ${threads} threads)`).toBeLessThan(1e-3);
        });
      }
    },
  );
}
