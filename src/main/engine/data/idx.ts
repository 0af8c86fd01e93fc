// MNIST / Fashion-MNIST IDX files (http://yann.lecun.com/exdb/mnist/): big-endian header, then uint8s.
// The images kept (all, or the first --limit) are held in memory; read() returns a view, no copy.
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MemLensError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { limit as maxOf, overLimit } from '../limits.js';
import { checkIndex, keepCount, numberedClasses, type DataSource } from './source.js';

const IMAGES_NAME = /images([-.])idx3-ubyte(\.gz)?$/;

export function isIdxImagesName(name: string): boolean {
  return IMAGES_NAME.test(name);
}

/**
 * The header dims and the first `keep(dims)` records of an unsigned-byte IDX file with `rank` dims.
 * A gzipped file is inflated only that far, so a small .gz declaring a huge set (a decompression
 * bomb) costs what is kept, not what it would inflate to; the bytes kept are checked against the
 * fileBytes limit first. Gzip is recognised by its magic, whatever the extension says.
 */
async function readIdx(
  path: string,
  rank: number,
  keep: (dims: number[]) => number,
): Promise<{ dims: number[]; data: Uint8Array }> {
  const raw = await readRegularFile(path, 'IDX file');
  const header = 4 + 4 * rank;
  let dims: number[] = [];
  const wanted = (head: Uint8Array) => {
    dims = parseHeader(head, rank, path);
    const n = header + keep(dims) * dims.slice(1).reduce((a, b) => a * b, 1);
    if (n > maxOf('fileBytes')) throw overLimit('fileBytes', `${path} declares ${n} bytes of data`, 'BAD_DATA');
    return n;
  };
  let bytes: Uint8Array;
  let target: number;
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) {
    target = wanted(raw);
    bytes = raw;
  } else {
    const out: Buffer[] = [];
    let have = 0;
    target = Infinity;
    const inflate = Readable.from([raw]).pipe(createGunzip());
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        out.push(chunk);
        have += chunk.length;
        if (target === Infinity && have >= header) target = wanted(Buffer.concat(out));
        if (have >= target) break;
      }
    } catch (e) {
      if (e instanceof MemLensError) throw e;
      throw new MemLensError('BAD_DATA', `${path} is not a valid gzip file: ${(e as Error).message}`);
    } finally {
      inflate.destroy();
    }
    bytes = Buffer.concat(out);
    if (target === Infinity) target = wanted(bytes); // shorter than a header: parseHeader says so
  }
  if (bytes.length < target) {
    throw new MemLensError(
      'BAD_DATA',
      `${path} is truncated: header says ${dims.join('x')} but it holds ${bytes.length - header} bytes`,
    );
  }
  return { dims, data: bytes.subarray(header, target) };
}

/** The dims of an unsigned-byte IDX header with `rank` dimensions. */
function parseHeader(buf: Uint8Array, rank: number, path: string): number[] {
  const header = 4 + 4 * rank;
  if (buf.length < header || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08 || buf[3] !== rank) {
    throw new MemLensError('BAD_DATA', `${path} is not an unsigned-byte IDX file with ${rank} dimensions`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
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
  // Only the images a read keeps are inflated (and counted against the limits).
  const images = await readIdx(path, 3, (dims) => {
    const [total, height, width] = dims;
    if (total === 0) throw new MemLensError('BAD_DATA', `${path} holds no images`);
    if (height === 0 || width === 0)
      throw new MemLensError('BAD_DATA', `${path} holds ${height}x${width}-pixel images, which have no pixels`);
    if (height * width > maxOf('imagePixels'))
      throw overLimit('imagePixels', `${path} holds ${height}x${width}-pixel images`, 'BAD_DATA');
    return keepCount(total, limit);
  });
  const [total, height, width] = images.dims;
  const count = keepCount(total, limit);
  const labelsPath = await findLabels(path);
  let labels: Int32Array | undefined;
  let classes: string[] | undefined;
  if (labelsPath) {
    const l = await readIdx(labelsPath, 1, (dims) => dims[0]);
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
