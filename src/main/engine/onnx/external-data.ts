// External data (onnx/docs/ExternalData.md): a tensor with data_location EXTERNAL keeps its bytes in a
// side file named by external_data {location (relative to the model), offset, length}. Models over
// 2 GB must use it because a protobuf message cannot exceed 2 GB.
import { createHash, type Hash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { MemLensError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { copyMessage, create, DataLocation, type ModelProto, type TensorProto } from './schema.js';
import { isExternal } from './tensor.js';
import { forEachTensor } from './walk.js';

/** Tensors smaller than this stay inside the model file (onnx's own default size_threshold). */
export const EXTERNAL_THRESHOLD = 1024;
/** Side-file offsets are page-aligned so onnxruntime can memory-map the weights. */
const ALIGN = 4096;

function entry(t: TensorProto, key: string): string | undefined {
  return t.external_data.find((e) => e.key === key)?.value;
}

/**
 * The side file's real path; refuses locations that leave the model's folder, by name ('..', absolute)
 * or through a symbolic link anywhere on the way (the check runs on resolved real paths).
 */
async function sideFile(modelPath: string, location: string | undefined, tensor: string): Promise<string> {
  const dir = dirname(resolve(modelPath));
  if (!location)
    throw new MemLensError('BAD_MODEL', `${modelPath}: tensor ${tensor} is external but names no location`);
  const full = resolve(dir, location);
  const outside = () =>
    new MemLensError(
      'BAD_MODEL',
      `${modelPath}: tensor ${tensor} has external data outside the model folder (${location})`,
    );
  if (isAbsolute(location) || !(full + sep).startsWith(dir + sep)) throw outside();
  const real = await realpath(full).catch(() => undefined);
  if (!real || !(await stat(real)).isFile()) {
    throw new MemLensError('NOT_FOUND', `${modelPath}: external data file ${full} for tensor ${tensor} is missing`);
  }
  if (!real.startsWith((await realpath(dir)) + sep)) throw outside();
  return real;
}

/**
 * Reads every external tensor's bytes into raw_data (a view into its side file's buffer, one read per
 * file) and clears its external fields, so the proto is self-contained. Mutates `proto`, which must be
 * freshly decoded and owned by the caller. Returns the side files read (real path -> bytes), in the
 * order the tensors first name them; `hash` digests each file's bytes in that order as they are read.
 */
export async function resolveExternalData(
  proto: ModelProto,
  modelPath: string,
  hash?: Hash,
): Promise<Map<string, Buffer>> {
  const external: TensorProto[] = [];
  forEachTensor(proto, (t) => {
    if (isExternal(t)) external.push(t);
  });
  const files = new Map<string, Buffer>();
  for (const t of external) {
    const file = await sideFile(modelPath, entry(t, 'location'), t.name);
    let data = files.get(file);
    if (!data) {
      // The tensors' declared sizes are checked once loaded (checkTensorData); the file itself is bounded by them.
      data = await readRegularFile(file, 'external data file', Number.MAX_SAFE_INTEGER, hash);
      files.set(file, data);
    }
    const offset = Number(entry(t, 'offset') ?? 0);
    const length = entry(t, 'length') === undefined ? data.length - offset : Number(entry(t, 'length'));
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > data.length
    ) {
      throw new MemLensError(
        'BAD_MODEL',
        `${modelPath}: tensor ${t.name} needs bytes ${offset}..${offset + length} of ${file}, which has ${data.length}`,
      );
    }
    t.raw_data = data.subarray(offset, offset + length);
    delete (t as Partial<TensorProto>).external_data;
    delete (t as Partial<TensorProto>).data_location;
  }
  return files;
}

/**
 * A copy of `proto` whose main-graph initializers of at least EXTERNAL_THRESHOLD bytes point into a
 * side file next to the model, plus the side file's content as chunks (views of the tensors' bytes
 * and zero padding, never one big copy), named by dataLocation for a model saved at `modelPath`.
 */
export function externalize(
  modelPath: string,
  proto: ModelProto,
): { proto: ModelProto; chunks: Uint8Array[]; location: string } {
  const chunks: Uint8Array[] = [];
  const at = new Map<TensorProto, number>();
  let offset = 0;
  for (const t of proto.graph!.initializer) {
    if (!movesOut(t)) continue;
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(t.raw_data);
    at.set(t, offset);
    offset += t.raw_data.byteLength;
  }
  const location = dataLocation(modelPath, chunks);
  return { proto: pointOutside(proto, (t) => [location, at.get(t)!]), chunks, location };
}

/**
 * `proto` for onnxruntime's in-memory external data (SessionOptions.externalData): each initializer
 * externalize would move out names its own "file", which is the tensor's buffer itself. The model
 * is then a few KiB to encode and no weight is copied to open it (saveModel's check).
 */
export function externalInMemory(proto: ModelProto): {
  proto: ModelProto;
  files: { path: string; data: Uint8Array }[];
} {
  const files: { path: string; data: Uint8Array }[] = [];
  const light = pointOutside(proto, (t) => {
    files.push({ path: `tensor${files.length}`, data: t.raw_data });
    return [files[files.length - 1].path, 0];
  });
  return { proto: light, files };
}

/**
 * Whether an initializer goes to external data: 1 KiB of raw bytes and more. A tensor decoded with
 * no raw_data at all (an empty initializer, dims [0]) carries protobufjs' default, which is not a
 * byte array, so it stays inline.
 */
function movesOut(t: TensorProto): boolean {
  return t.raw_data instanceof Uint8Array && t.raw_data.byteLength >= EXTERNAL_THRESHOLD;
}

/** A copy of `proto` whose large main-graph initializers are external at `place(t)`: [location, offset]. */
function pointOutside(proto: ModelProto, place: (t: TensorProto) => [string, number]): ModelProto {
  const graph = proto.graph!;
  const initializer = graph.initializer.map((t) => {
    if (!movesOut(t)) return t;
    const [location, offset] = place(t);
    const out = copyMessage(t, {
      data_location: DataLocation.EXTERNAL,
      external_data: [
        create('StringStringEntryProto', { key: 'location', value: location }),
        create('StringStringEntryProto', { key: 'offset', value: String(offset) }),
        create('StringStringEntryProto', { key: 'length', value: String(t.raw_data.byteLength) }),
      ],
    });
    delete (out as Partial<TensorProto>).raw_data;
    return out;
  });
  return copyMessage(proto, { graph: copyMessage(graph, { initializer }) });
}

/**
 * The side-file name `saveModel` uses for a model at `modelPath`: "<file>.<content hash>.data" next to
 * it, so a new save never writes over the side file of the model it replaces (see saveModel).
 */
function dataLocation(modelPath: string, chunks: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return `${basename(modelPath)}.${h.digest('hex').slice(0, 16)}.data`;
}
