// A sample as a PNG for the app (the image a unit memorizes). Small images are enlarged by an
// integer factor with nearest-neighbour so 28x28 digits stay crisp instead of blurred.
import { MemLensError } from '../errors.js';
import type { DataSource } from './source.js';
import { loadSharp } from './sharp.js';

/** Images smaller than this (longer side) are enlarged to at least this size. */
const DISPLAY_PX = 112;

export async function samplePng(source: DataSource, id: string): Promise<Buffer> {
  const i = source.ids.indexOf(id);
  if (i < 0) throw new MemLensError('NOT_FOUND', `sample '${id}' is not in ${source.path}`);
  const img = await source.read(i);
  const factor = Math.max(1, Math.ceil(DISPLAY_PX / Math.max(img.width, img.height)));
  const sharp = await loadSharp();
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .resize(img.width * factor, img.height * factor, { kernel: 'nearest' })
    .png()
    .toBuffer();
}
