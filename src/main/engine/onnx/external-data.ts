// External data (onnx/docs/ExternalData.md): a tensor with data_location EXTERNAL keeps its bytes in a
// side file named by external_data {location (relative to the model), offset, length}. Models over
// 2 GB must use it because a protobuf message cannot exceed 2 GB.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { MemLensError } from '../errors.js';
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

/** The side file's absolute path; refuses locations that leave the model's folder. */
function sideFile(modelPath: string, location: string | undefined, tensor: string): string {
  const dir = dirname(resolve(modelPath));
  if (!location) throw new MemLensError('BAD_MODEL', `${modelPath}: tensor ${tensor} is external but names no location`);
  const full = resolve(dir, location);
  if (isAbsolute(location) || !(full + sep).startsWith(dir + sep)) {
    throw new MemLensError('BAD_MODEL', `${modelPath}: tensor ${tensor} has external data outside the model folder (${location})`);
  }
  return full;
}

/**
 * Reads every external tensor's bytes into raw_data (a view into its side file's buffer, one read per
 * file) and clears its external fields, so the proto is self-contained. Mutates `proto`, which must be
 * freshly decoded and owned by the caller. Returns the side files read.
 */
export async function resolveExternalData(proto: ModelProto, modelPath: string): Promise<string[]> {
  const external: TensorProto[] = [];
  forEachTensor(proto, (t) => {
    if (isExternal(t)) external.push(t);
  });
  const files = new Map<string, Buffer>();
  for (const t of external) {
    const file = sideFile(modelPath, entry(t, 'location'), t.name);
    let data = files.get(file);
    if (!data) {
      const s = await stat(file).catch(() => undefined);
      if (!s?.isFile()) {
        throw new MemLensError('NOT_FOUND', `${modelPath}: external data file ${file} for tensor ${t.name} is missing`);
      }
      data = await readFile(file);
      files.set(file, data);
    }
    const offset = Number(entry(t, 'offset') ?? 0);
    const length = entry(t, 'length') === undefined ? data.length - offset : Number(entry(t, 'length'));
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > data.length) {
      throw new MemLensError(
        'BAD_MODEL',
        `${modelPath}: tensor ${t.name} needs bytes ${offset}..${offset + length} of ${file}, which has ${data.length}`,
      );
    }
    t.raw_data = data.subarray(offset, offset + length);
    delete (t as Partial<TensorProto>).external_data;
    delete (t as Partial<TensorProto>).data_location;
  }
  return [...files.keys()];
}

/**
 * A copy of `proto` whose main-graph initializers of at least EXTERNAL_THRESHOLD bytes point into a
 * side file `location` (relative to the model), plus the side file's content as chunks (views of the
 * tensors' bytes and zero padding, never one big copy).
 */
export function externalize(proto: ModelProto, location: string): { proto: ModelProto; chunks: Uint8Array[] } {
  const graph = proto.graph!;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializer = graph.initializer.map((t) => {
    if (t.raw_data.byteLength < EXTERNAL_THRESHOLD) return t;
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(t.raw_data);
    const out = copyMessage(t, {
      data_location: DataLocation.EXTERNAL,
      external_data: [
        create('StringStringEntryProto', { key: 'location', value: location }),
        create('StringStringEntryProto', { key: 'offset', value: String(offset) }),
        create('StringStringEntryProto', { key: 'length', value: String(t.raw_data.byteLength) }),
      ],
    });
    delete (out as Partial<TensorProto>).raw_data;
    offset += t.raw_data.byteLength;
    return out;
  });
  return { proto: copyMessage(proto, { graph: copyMessage(graph, { initializer }) }), chunks };
}

/** The side-file name `saveModel` uses for a model at `modelPath`: "<file>.data" next to it. */
export function defaultDataLocation(modelPath: string): string {
  return basename(modelPath) + '.data';
}
