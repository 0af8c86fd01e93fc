// MNIST / Fashion-MNIST IDX files (http://yann.lecun.com/exdb/mnist/): big-endian header, then uint8s.
// The whole set is small (<= 50 MB) and kept in memory; read() returns a view, no copy.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { MemLensError } from '../errors.js';
import { checkIndex, keepCount, numberedClasses, type DataSource } from './source.js';

const gunzipAsync = promisify(gunzip);
const IMAGES_NAME = /images([-.])idx3-ubyte(\.gz)?$/;

export function isIdxImagesName(name: string): boolean {
  return IMAGES_NAME.test(name);
}

/** File bytes, gunzipped when they start with the gzip magic (whatever the extension says). */
async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const raw = await readFile(path).catch((e: Error) => {
    throw new MemLensError('IO', `cannot read ${path}: ${e.message}`);
  });
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  return gunzipAsync(raw).catch((e: Error) => {
    throw new MemLensError('BAD_DATA', `${path} is not a valid gzip file: ${e.message}`);
  });
}

/** Parses an unsigned-byte IDX file with `rank` dimensions; returns the dims and the payload view. */
export function parseIdx(buf: Uint8Array, rank: number, path: string): { dims: number[]; data: Uint8Array } {
  const header = 4 + 4 * rank;
  if (buf.length < header || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08 || buf[3] !== rank) {
    throw new MemLensError('BAD_DATA', `${path} is not an unsigned-byte IDX file with ${rank} dimensions`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length - header < size) {
    throw new MemLensError('BAD_DATA', `${path} is truncated: header says ${dims.join('x')} but it holds ${buf.length - header} bytes`);
  }
  return { dims, data: buf.subarray(header, header + size) };
}

/** The labels file next to an images file (same prefix), plain or gzipped, if there is one. */
async function findLabels(imagesPath: string): Promise<string | undefined> {
  const name = basename(imagesPath);
  const m = IMAGES_NAME.exec(name);
  if (!m) return undefined;
  for (const ext of ['.gz', '']) {
    const p = join(dirname(imagesPath), `${name.slice(0, m.index)}labels${m[1]}idx1-ubyte${ext}`);
    if ((await stat(p).catch(() => undefined))?.isFile()) return p;
  }
  return undefined;
}

export async function openIdx(path: string, limit?: number): Promise<DataSource> {
  const images = parseIdx(await readMaybeGzip(path), 3, path);
  const [total, height, width] = images.dims;
  const count = keepCount(total, limit);
  const labelsPath = await findLabels(path);
  let labels: Int32Array | undefined;
  let classes: string[] | undefined;
  if (labelsPath) {
    const l = parseIdx(await readMaybeGzip(labelsPath), 1, labelsPath);
    if (l.dims[0] !== total) {
      throw new MemLensError('MISMATCH', `${labelsPath} has ${l.dims[0]} labels but ${path} has ${total} images`);
    }
    labels = Int32Array.from(l.data.subarray(0, count));
    classes = numberedClasses(l.data);
  }
  const plane = height * width;
  const source: DataSource = {
    kind: 'idx',
    path,
    count,
    ids: Array.from({ length: count }, (_, i) => String(i)),
    labels,
    classes,
    channels: 1,
    skipped: [],
    read: async (i) => {
      checkIndex(source, i);
      return { width, height, channels: 1, data: images.data.subarray(i * plane, (i + 1) * plane) };
    },
  };
  return source;
}
