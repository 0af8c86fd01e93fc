// Loading and saving ONNX files: the I/O edge of the onnx module.
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { assertNotSamePath, readRegularFile, requireFile, writeFileAtomic } from '../files.js';
import { decodeModel, encodeModel, encodeModelChunks } from './codec.js';
import { checkGraph } from './graph-check.js';
import { runtimeWarmed } from './runtime-warmup.js';
import { externalInMemory, externalize, resolveExternalData } from './external-data.js';
import type { ModelProto } from './schema.js';
import { checkTensorData, isExternal } from './tensor.js';
import { forEachTensor } from './walk.js';

export interface OnnxModel {
  /** Self-contained: external tensors are already read into raw_data. Treat as read-only. */
  proto: ModelProto;
  path: string;
  dir: string;
  /**
   * sha256 of the model file, followed by its external data files when it has any, so that new
   * weights in a side file give a new key: the cache key of results (docs/SECURITY.md).
   */
  sha256: string;
  /** Real paths of the external data files the model referenced (empty when embedded). */
  externalData: string[];
  /** Size of the model file (side files excluded). */
  bytes: number;
}

/**
 * Reads a model and its external data, and checks every tensor's data against its dims and the
 * graph's wiring (graph-check.ts). One-line
 * BAD_MODEL / NOT_FOUND errors name the file.
 */
export async function loadModel(path: string): Promise<OnnxModel> {
  await requireFile(path, 'model');
  // Hashed as it is read (files.ts readRegularFile), the side files after the model.
  const hash = createHash('sha256');
  const bytes = await readRegularFile(path, 'model', PROTOBUF_LIMIT, hash);
  const proto = decodeModel(bytes, path);
  const sides = await resolveExternalData(proto, path, hash);
  forEachTensor(proto, (t) => checkTensorData(t, path));
  checkGraph(proto.graph!, path);
  return {
    proto,
    path,
    dir: dirname(resolve(path)),
    sha256: hash.digest('hex'),
    externalData: [...sides.keys()],
    bytes: bytes.length,
  };
}

export interface SaveOptions {
  /** Move initializers of 1 KiB and more into a side file next to the model (required over 2 GB). */
  externalData?: boolean;
  /** The model this one came from; saving over it (or over its side files) is refused. */
  source?: OnnxModel;
}

export interface SavedModel {
  path: string;
  /** The side file written, when externalData was asked for. */
  dataPath?: string;
  bytes: number;
}

/** A protobuf message cannot exceed 2 GiB; onnx's checker and onnxruntime refuse larger files. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * Writes `proto` atomically to `path` (temp file + rename; a failure leaves no file behind).
 * Never writes over the source model or one of its external data files.
 *
 * With external data the side file is named after its content ("<file>.<sha256 prefix>.data"), so it
 * never replaces the side file the model already at `path` reads: the model's rename is the one
 * moment the pair changes, and a run killed before it leaves the old pair intact. Side files of
 * earlier saves to `path` (same naming) are removed after that rename.
 */
export async function saveModel(proto: ModelProto, path: string, opts: SaveOptions = {}): Promise<SavedModel> {
  forEachTensor(proto, (t) => {
    if (isExternal(t))
      throw new MemLensError('BAD_INPUT', `cannot save ${path}: tensor ${t.name} still refers to external data`);
  });
  const external = opts.externalData ? externalize(path, proto) : undefined;
  const dataPath = external && join(dirname(resolve(path)), external.location);
  if (opts.source) {
    for (const target of [path, dataPath]) {
      if (!target) continue;
      assertNotSamePath(opts.source.path, target);
      for (const side of opts.source.externalData) assertNotSamePath(side, target);
    }
  }
  const bytes = encodeModelChunks(external?.proto ?? proto);
  const length = bytes.reduce((n, c) => n + c.length, 0);
  if (length > PROTOBUF_LIMIT) {
    throw new MemLensError('UNSUPPORTED', `cannot save ${path}: the model is over 2 GB; save it with external data`);
  }
  const check = () => checkRuntimeLoads(proto, path);
  if (!external || !dataPath) {
    await writeFileAtomic(path, bytes, check);
    return { path, bytes: length };
  }
  const existed = await stat(dataPath).then(
    () => true,
    () => false,
  );
  await writeFileAtomic(dataPath, external.chunks, check);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    // Only the side file this save created; one that existed holds the same bytes another model may read.
    if (!existed) await rm(dataPath, { force: true });
    throw e;
  }
  await removeEarlierSideFiles(path, external.location);
  return { path, dataPath, bytes: length };
}

/**
 * Opens the model in onnxruntime (without optimizing it) before it takes its name: an export
 * onnxruntime refuses (an op it does not know, a type it cannot infer, carried over from a damaged
 * source) is refused here in one line instead of landing on disk. The weights are handed over in
 * memory as external data (externalInMemory), so the check copies none and, unlike one joined
 * buffer, has no size limit: models saved with external data are checked too. It runs while the
 * file is written (writeFileAtomic's `check`).
 */
async function checkRuntimeLoads(proto: ModelProto, path: string): Promise<void> {
  const light = externalInMemory(proto);
  await runtimeWarmed();
  const session = await ort.InferenceSession.create(encodeModel(light.proto), {
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    externalData: light.files,
  }).catch((e: Error) => {
    throw new MemLensError(
      'BAD_MODEL',
      `cannot save ${path}: onnxruntime refuses the model: ${e.message.split('\n')[0]}`,
    );
  });
  await session.release();
}

/** Side files "<file>.data" or "<file>.<hex>.data" of `path` other than `keep`: earlier saves' data. */
async function removeEarlierSideFiles(path: string, keep: string): Promise<void> {
  const dir = dirname(resolve(path));
  const name = basename(path);
  for (const entry of await readdir(dir).catch(() => [])) {
    if (entry === keep || !entry.startsWith(name + '.') || !/^(\.[0-9a-f]{16})?\.data$/.test(entry.slice(name.length)))
      continue;
    await rm(join(dir, entry), { force: true });
  }
}
