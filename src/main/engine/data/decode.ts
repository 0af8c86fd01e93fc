// Image files -> RawImage via sharp. Files are decoded once when a folder is opened, which both
// finds the undecodable ones (skipped, not fatal) and, within a memory budget, caches the pixels
// so the many reads of the same sample (one per view) cost nothing.
import { MemLensError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { limit, overLimit } from '../limits.js';
import { memoryBudget } from '../memory.js';
import type { RawImage } from './image.js';
import { loadSharp } from './sharp.js';

/** Extensions tried as images; other files in a data folder are ignored. */
const IMAGE_EXT = /\.(png|jpe?g|webp|gif|tiff?|avif|heic|heif)$/i;
/** Files decoded at once (libvips runs them on the libuv pool; the machine may have few cores). */
const PARALLEL = 4;

export function isImageName(name: string): boolean {
  return IMAGE_EXT.test(name);
}

/**
 * Decodes to 8-bit gray or RGB (alpha dropped); throws the decoder's reason on failure. Only regular
 * files are read (a link to /dev/zero or a FIFO is refused, see readRegularFile), and the pixel count
 * is checked from the header before decoding: a small compressed file can declare gigapixels.
 */
export async function decodeImage(path: string): Promise<RawImage> {
  const [bytes, sharp] = await Promise.all([readRegularFile(path, 'image'), loadSharp()]);
  const maxPixels = limit('imagePixels');
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  const { width = 0, height = 0 } = meta;
  if (width * height > maxPixels) throw overLimit('imagePixels', `image ${path} is ${width}x${height}`, 'BAD_DATA');
  // libvips outputs sRGB unless told otherwise; keep gray images (1-2 bands) gray.
  const gray = (meta.channels ?? 3) <= 2;
  const pipeline = sharp(bytes, { limitInputPixels: maxPixels }).removeAlpha();
  if (gray) pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) throw new Error(`unsupported ${info.channels}-channel image`);
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

export interface DecodedSet {
  /** Indices (into the input list) of the files that decoded, in input order, at most `want`. */
  good: number[];
  failed: { index: number; reason: string }[];
  /** 3 when any decoded image is RGB. */
  channels: 1 | 3;
  /** The pixels of input file i (cached or decoded again). */
  get(index: number): Promise<RawImage>;
}

/**
 * Decodes files in order until `want` of them succeeded; keeps up to `cacheBytes` (the memory
 * budget) of pixels in memory, beyond it reads decode again.
 */
export async function decodeFiles(paths: string[], want = Infinity, cacheBytes = memoryBudget()): Promise<DecodedSet> {
  const cache = new Map<number, RawImage>();
  const good: number[] = [];
  const failed: DecodedSet['failed'] = [];
  let cached = 0;
  let channels: 1 | 3 = 1;
  for (let start = 0; start < paths.length && good.length < want; start += PARALLEL) {
    const end = Math.min(start + PARALLEL, paths.length);
    const batch = await Promise.allSettled(paths.slice(start, end).map((p) => decodeImage(p)));
    batch.forEach((r, k) => {
      const index = start + k;
      if (good.length >= want) return; // past the limit: neither a sample nor a skipped file
      if (r.status === 'rejected') {
        failed.push({ index, reason: String((r.reason as Error)?.message ?? r.reason).split('\n')[0] });
      } else {
        good.push(index);
        if (r.value.channels === 3) channels = 3;
        if (cached + r.value.data.length <= cacheBytes) {
          cache.set(index, r.value);
          cached += r.value.data.length;
        }
      }
    });
  }
  const decodeAgain = (i: number) =>
    decodeImage(paths[i]).catch((e: Error) => {
      throw new MemLensError('BAD_DATA', `cannot decode ${paths[i]} any more: ${e.message.split('\n')[0]}`);
    });
  return { good, failed, channels, get: async (i) => cache.get(i) ?? decodeAgain(i) };
}
