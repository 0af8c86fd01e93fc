// Embeddings: the encoder's output vector for every image of a data source, batched through
// onnxruntime (infer/), cached on disk by model sha256 + data fingerprint + preprocessing.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JobControl } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { resolveAugment } from '../data/views.js';
import type { DataSource } from '../data/source.js';
import { runBatches } from '../infer/batches.js';
import { chooseBatch } from '../memory.js';
import { viewFeed } from '../infer/feed.js';
import { modelInput, type InputSpec } from '../infer/input.js';
import { createSession, type Session } from '../infer/session.js';
import { encodeModel, type OnnxModel } from '../onnx/index.js';
import { cacheDir, cacheKey, dataFingerprint } from '../project/cache.js';
import type { Features } from './features.js';

export interface EmbedSettings {
  mean: number[];
  std: number[];
  size?: [number, number];
  /** Images per run as requested; else chosen from the memory budget (memory.ts) per model. */
  batch?: number;
}

/** The graph's first output and its per-image length; throws unless it is one vector per image. */
async function vectorOutput(
  session: Session,
  model: OnnxModel,
  input: InputSpec,
): Promise<{ name: string; dim: number }> {
  const name = model.proto.graph!.output[0]?.name;
  if (!name) throw new MemLensError('BAD_MODEL', `${model.path}: the graph has no output`);
  const { channels: c, height: h, width: w } = input;
  const zeros = { data: new Float32Array(c * h * w), dims: [1, c, h, w] };
  const out = await session.run(input.name, zeros, [name]).catch((e: Error) => {
    throw new MemLensError(
      'BAD_MODEL',
      `${model.path} cannot take ${c}x${h}x${w} images: ${String(e.message).split('\n')[0]}`,
    );
  });
  const dims = out[name].dims;
  // [1, D] or [1, D, 1, 1] (a conv head without Flatten) are vectors; anything else is a map.
  if (dims.length < 2 || dims[0] !== 1 || dims.slice(2).some((d) => d !== 1)) {
    throw new MemLensError(
      'BAD_MODEL',
      `${model.path}: output ${name} has shape [${dims.join(', ')}] for one image; evaluation needs one vector per image ([N, D])`,
    );
  }
  return { name, dim: dims[1] };
}

/** Binary cache file: rows, dim (uint32) then rows x dim float32. */
async function readCached(file: string, rows: number): Promise<Features | undefined> {
  const buf = await readFile(file).catch(() => undefined);
  if (!buf || buf.byteLength < 8) return undefined;
  const copy = new Uint8Array(buf).buffer; // aligned for the typed views below
  const [r, dim] = new Uint32Array(copy, 0, 2);
  if (r !== rows || buf.byteLength !== 8 + r * dim * 4) return undefined;
  return { rows, dim, data: new Float32Array(copy, 8, rows * dim) };
}

async function writeCached(file: string, f: Features): Promise<void> {
  const header = new Uint8Array(Uint32Array.from([f.rows, f.dim]).buffer);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, [header, new Uint8Array(f.data.buffer)]);
  } catch {
    // Best effort, like the result cache: an unwritable cache costs a recomputation only.
  }
}

async function cacheFile(model: OnnxModel, source: DataSource, s: EmbedSettings): Promise<string | undefined> {
  // Same switch as the result cache (project/cache.ts): benchmarks and debugging turn it off.
  if (process.env.MEMLENS_NO_CACHE) return undefined;
  const key = cacheKey('embeddings', {
    model: model.sha256,
    data: await dataFingerprint(source.path),
    count: source.count,
    mean: s.mean,
    std: s.std,
    size: s.size,
  });
  return join(await cacheDir(model.path), `${key}.f32`);
}

/**
 * Embeds every sample of each source (un-augmented; a view folder's first view). One session
 * serves all sources; sources found in the cache are not run.
 */
export async function embedSources(
  model: OnnxModel,
  sources: DataSource[],
  s: EmbedSettings,
  ctl: JobControl = {},
): Promise<Features[]> {
  const files = await Promise.all(sources.map((src) => cacheFile(model, src, s)));
  const found = await Promise.all(sources.map((src, i) => (files[i] ? readCached(files[i]!, src.count) : undefined)));
  if (found.every((f) => f)) return found as Features[];

  const input = modelInput(model, s.size);
  const session = await createSession(encodeModel(model.proto), {}, model.path);
  try {
    const out = await vectorOutput(session, model, input);
    const spec = { channels: input.channels, height: input.height, width: input.width, mean: s.mean, std: s.std };
    const batch = chooseBatch(s.batch, model, input, ctl);
    for (let i = 0; i < sources.length; i++) {
      if (found[i]) continue;
      const source = sources[i];
      const features: Features = { rows: source.count, dim: out.dim, data: new Float32Array(source.count * out.dim) };
      await runBatches(
        [{ session, inputName: input.name, outputs: [out.name] }],
        {
          chw: [input.channels, input.height, input.width],
          count: source.count,
          perSample: 1,
          batchImages: batch,
          stage: `embeddings ${source.path}`,
          fill: viewFeed({ source, spec, augment: resolveAugment('none'), seed: 0, views: 0, anchor: true }),
          consume: (start, _n, [o]) => features.data.set(o[out.name], start * out.dim),
        },
        ctl,
      );
      found[i] = features;
      const file = files[i];
      if (file) await writeCached(file, features);
    }
  } finally {
    await session.release();
  }
  return found as Features[];
}
