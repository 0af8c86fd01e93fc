// Loading and saving ONNX files: the I/O edge of the onnx module.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { MemLensError } from '../errors.js';
import { assertNotSamePath, requireFile, sha256Bytes, writeFileAtomic } from '../files.js';
import { decodeModel, encodeModelChunks } from './codec.js';
import { defaultDataLocation, externalize, resolveExternalData } from './external-data.js';
import type { ModelProto } from './schema.js';
import { isExternal } from './tensor.js';
import { forEachTensor } from './walk.js';

export interface OnnxModel {
  /** Self-contained: external tensors are already read into raw_data. Treat as read-only. */
  proto: ModelProto;
  path: string;
  dir: string;
  /** sha256 of the model file itself (side files excluded), the cache key of results. */
  sha256: string;
  /** Absolute paths of the external data files the model referenced (empty when embedded). */
  externalData: string[];
}

/** Reads a model and its external data. One-line BAD_MODEL / NOT_FOUND errors name the file. */
export async function loadModel(path: string): Promise<OnnxModel> {
  await requireFile(path, 'model');
  const bytes = await readFile(path);
  const proto = decodeModel(bytes, path);
  const externalData = await resolveExternalData(proto, path);
  return { proto, path, dir: dirname(resolve(path)), sha256: sha256Bytes(bytes), externalData };
}

export interface SaveOptions {
  /** Move initializers of 1 KiB and more into "<file>.data" next to the model (required over 2 GB). */
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
 */
export async function saveModel(proto: ModelProto, path: string, opts: SaveOptions = {}): Promise<SavedModel> {
  const dataPath = opts.externalData ? join(dirname(resolve(path)), defaultDataLocation(path)) : undefined;
  if (opts.source) {
    for (const target of [path, dataPath]) {
      if (!target) continue;
      assertNotSamePath(opts.source.path, target);
      for (const side of opts.source.externalData) assertNotSamePath(side, target);
    }
  }
  forEachTensor(proto, (t) => {
    if (isExternal(t)) throw new MemLensError('BAD_INPUT', `cannot save ${path}: tensor ${t.name} still refers to external data`);
  });
  const { proto: out, chunks } = dataPath ? externalize(proto, defaultDataLocation(path)) : { proto, chunks: [] };
  const bytes = encodeModelChunks(out);
  const length = bytes.reduce((n, c) => n + c.length, 0);
  if (length > PROTOBUF_LIMIT) {
    throw new MemLensError('UNSUPPORTED', `cannot save ${path}: the model is over 2 GB; save it with external data`);
  }
  if (dataPath) await writeFileAtomic(dataPath, chunks);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    if (dataPath) await rm(dataPath, { force: true });
    throw e;
  }
  return { path, dataPath, bytes: length };
}
