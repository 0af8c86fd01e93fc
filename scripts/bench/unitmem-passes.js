// The two Node sides of the UnitMem benchmark, bundled with the engine by unitmem-bench.js and run
// each in its own process so peak RSS is per implementation:
//   taps   MODEL                  -> JSON list of the activation tensors MemLens taps (for PyTorch)
//   memlens MODEL DATA N V B       -> MemLens end to end (decode, views, inference, accumulation)
//   ort    MODEL DATA N V B        -> onnxruntime alone (no worker): the same tapped graph on batches already in memory
import { openSource } from '../../src/main/engine/data/source.js';
import { selectLayers, tapGraph, tapOutputs } from '../../src/main/engine/infer/encoder.js';
import { viewFeed } from '../../src/main/engine/infer/feed.js';
import { computeUnitMem } from '../../src/main/engine/metrics/unitmem-job.js';
import { resolveAugment } from '../../src/main/engine/data/views.js';
import { encodeModel, loadModel } from '../../src/main/engine/onnx/index.js';
import { sessionOptions } from '../../src/main/engine/infer/providers.js';
import * as ort from 'onnxruntime-node';

const [mode, modelPath, data, n, v, b] = process.argv.slice(2);
const samples = Number(n);
const views = Number(v);
const batch = Number(b);
const norm = { mean: [Number(process.env.BENCH_MEAN ?? 0.5)], std: [Number(process.env.BENCH_STD ?? 0.5)] };
const peakMB = () => process.resourceUsage().maxRSS / 1024;

async function tapsMode() {
  const model = await loadModel(modelPath);
  console.log(JSON.stringify(selectLayers(model, undefined, false).map((l) => l.tensor)));
}

async function memlensMode() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await computeUnitMem({ model: modelPath, data, limit: samples, views, batch, ...norm });
  const sec = (performance.now() - t0) / 1000;
  const all = r.layers.flatMap((l) => l.unitmem);
  report('memlens', sec, {
    cpuSeconds: cpuSince(cpu0),
    meanUnitMem: all.reduce((a, x) => a + x, 0) / all.length,
    units: all.length,
  });
}

async function ortMode() {
  const model = await loadModel(modelPath);
  const enc = await tapGraph(model, selectLayers(model, undefined, false), { means: true });
  const source = await openSource(data, { limit: samples });
  const { channels, height, width } = enc.input;
  const spec = { channels, height, width, ...norm };
  const fill = viewFeed({ source, spec, augment: resolveAugment('simclr'), seed: 0, views, anchor: false });
  const per = Math.max(1, Math.floor(batch / views));
  const inputs = [];
  for (let s = 0; s < source.count; s += per) {
    const k = Math.min(per, source.count - s);
    const buf = new Float32Array(k * views * channels * height * width);
    await fill(s, k, buf);
    inputs.push(new ort.Tensor('float32', buf, [k * views, channels, height, width]));
  }
  const outputs = tapOutputs(enc);
  // plain onnxruntime on the JS thread, the session options MemLens uses
  const session = await ort.InferenceSession.create(
    encodeModel(enc.proto),
    sessionOptions(Number(process.env.MEMLENS_THREADS), 'cpu'),
  );
  const run = (x) => session.run({ [enc.input.name]: x }, outputs);
  await run(inputs[0]); // warm-up, not timed
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const x of inputs) await run(x);
  report('onnxruntime-raw', (performance.now() - t0) / 1000, { cpuSeconds: cpuSince(cpu0) });
}

/** CPU seconds of every thread of the process: steadier than wall time on a shared machine. */
function cpuSince(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

function report(impl, sec, extra) {
  console.log(
    JSON.stringify({
      impl,
      threads: Number(process.env.MEMLENS_THREADS) || undefined,
      batch,
      samples,
      views,
      seconds: sec,
      samplesPerSec: samples / sec,
      imagesPerSec: (samples * views) / sec,
      peakRssMB: peakMB(),
      ...extra,
    }),
  );
}

await { taps: tapsMode, memlens: memlensMode, ort: ortMode }[mode]();
