// The fine-tuning job end to end on a tiny CNN and a two-class set, and its bad-input errors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { finetune } from '../../../src/main/engine/finetune/job.js';
import { computeLayerMem } from '../../../src/main/engine/metrics/layermem-job.js';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import { loadModel, tensorToFloat32 } from '../../../src/main/engine/onnx/index.js';
import { node } from './fd.js';
import { writeTinyCnn, writeTinySet } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'memlens-ft-'));
const model = join(dir, 'tiny.onnx');
let train: string;
let test_: string;
beforeAll(() => {
  writeTinyCnn(model);
  train = writeTinySet(join(dir, 'train'), 'train', 64, 1);
  test_ = writeTinySet(join(dir, 'test'), 'test', 32, 2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = () => ({ model, train, test: test_, epochs: 3, batch: 16, lr: 0.1, mean: [0.5], std: [0.5] });

describe('finetune job', () => {
  test('trains the named layers and the head, exports them and nothing else, with provenance', async () => {
    const out = join(dir, 'tuned.onnx');
    const r = await finetune({ ...base(), layers: 'conv2', head: true, out });
    expect(r.layers).toEqual(['conv2']);
    expect(r.epochs).toHaveLength(3);
    expect(r.baseline.epochs).toHaveLength(3);
    // Both accuracies come from one head training procedure, recorded with the result.
    expect(r.probe).toEqual({ kind: 'linear head', optimizer: 'adamw', epochs: 3, lr: 0.1, batch: 16, seed: 0 });
    // Memorization before: UnitMem of the model on the points it would rank layers on (no project
    // beside it: the train set), over its live units, as compare measures; after: the tuned encoder.
    const m = r.memorization!;
    expect(m.candidates).toBe(train);
    const u = await computeUnitMem({ model, data: train, mean: [0.5], std: [0.5], views: 10 });
    const live = u.layers.flatMap((l) => l.unitmem.filter((_, k) => l.muMax[k] !== 0));
    expect(m.before.unitmem).toMatchObject({ measured: true });
    expect(m.before.unitmem.mean).toBeCloseTo(live.reduce((a, b) => a + b, 0) / live.length, 12);
    expect(m.after.unitmem.measured).toBe(true);
    // conv2 was trained, so its units respond differently: UnitMem moves.
    expect(m.after.unitmem.layers!.find((l) => l.name === m.before.unitmem.layers![1].name)!.mean).not.toBe(
      m.before.unitmem.layers![1].mean,
    );
    expect(m.before.sslmem).toBeUndefined();
    // Dark vs bright: a trained head separates them on any encoder.
    expect(r.finetuned.accuracy).toBeGreaterThan(0.9);
    expect(r.epochs[2].loss).toBeLessThan(r.epochs[0].loss);

    const [before, after] = await Promise.all([loadModel(model), loadModel(out)]);
    const values = (m: typeof before, name: string) =>
      Array.from(tensorToFloat32(m.proto.graph!.initializer.find((t) => t.name === name)!));
    expect(values(after, 'conv1.weight')).toEqual(values(before, 'conv1.weight'));
    expect(values(after, 'conv2.weight')).not.toEqual(values(before, 'conv2.weight'));
    expect(after.proto.graph!.output.map((o) => o.name)).toEqual(['embedding', 'logits']);
    const meta = Object.fromEntries(after.proto.metadata_props.map((e) => [e.key, e.value]));
    expect(meta['memlens.source_sha256']).toBe(before.sha256);
    expect(JSON.parse(meta['memlens.finetune.layers'])).toEqual(['conv2']);
    expect(existsSync(join(dir, 'tuned.finetune.json'))).toBe(true);
  });

  test("the same seed gives the same run, and each epoch's figures arrive as progress while it runs", async () => {
    const seen: { stage: string; metrics: Record<string, number> }[] = [];
    const a = await finetune(
      { ...base(), epochs: 1, layers: 'last:1' },
      { onProgress: (_d, _t, stage, metrics) => metrics && seen.push({ stage, metrics }) },
    );
    expect(seen.map((s) => s.metrics)).toEqual([a.baseline.epochs![0], a.epochs[0]]);
    expect(seen[0].stage).not.toBe(seen[1].stage);
    const b = await finetune({ ...base(), epochs: 1, layers: 'last:1' });
    expect(a.epochs).toEqual(b.epochs);
    expect(a.baseline).toEqual(b.baseline);
  });

  test('auto:1 trains the layer with the highest DeltaLayerMem against the reference', async () => {
    const reference = join(dir, 'reference.onnx');
    writeTinyCnn(reference, [], 100);
    const mem = await computeLayerMem({ model, reference, data: train, mean: [0.5], std: [0.5] });
    const convs = mem.layers.filter((l) => l.name.startsWith('conv'));
    const top = convs.reduce((a, b) => (b.delta > a.delta ? b : a));
    const r = await finetune({ ...base(), epochs: 1, layers: 'auto:1', reference, data: train });
    expect(r.layers).toEqual([top.name]);
    expect(r.settings.delta).toEqual({ [top.name]: top.delta });
  });

  test('cancel stops the run and writes nothing', async () => {
    const ctrl = new AbortController();
    const out = join(dir, 'cancelled.onnx');
    const run = finetune(
      { ...base(), layers: 'all', out },
      { signal: ctrl.signal, onProgress: (done) => done >= 2 && ctrl.abort() },
    );
    await expect(run).rejects.toThrow('cancelled');
    expect(existsSync(out)).toBe(false);
  });
});

describe('finetune bad input', () => {
  test('unknown layer name', async () => {
    await expect(finetune({ ...base(), layers: 'conv9' })).rejects.toThrow(
      `unknown layer 'conv9' in ${model} (layers: conv1, conv2)`,
    );
  });

  test('auto without a reference encoder', async () => {
    await expect(finetune({ ...base(), layers: 'auto' })).rejects.toThrow(
      '--layers auto ranks layers by DeltaLayerMem and needs --reference',
    );
  });

  test('data without labels', async () => {
    const unlabelled = writeTinySet(join(dir, 'nolabels'), 'x', 8, 3, false);
    await expect(finetune({ ...base(), train: unlabelled, layers: 'conv2' })).rejects.toThrow(
      `finetune needs labelled data; ${unlabelled} has no labels`,
    );
  });

  test('a layer whose path to the loss crosses an op without a backward rule', async () => {
    const odd = join(dir, 'odd.onnx');
    writeTinyCnn(odd, [node('Celu', ['p1'], ['odd'])]);
    await expect(finetune({ ...base(), model: odd, layers: 'conv1' })).rejects.toThrow(
      'no gradient rule for op Celu (node celu3) on the path from trainable parameter conv1.weight to the loss',
    );
  });

  test('output over the input model', async () => {
    await expect(finetune({ ...base(), layers: 'conv2', out: model })).rejects.toThrow('is the input model');
  });
});
