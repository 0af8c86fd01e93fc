// sharp (libvips) loaded on first use: loading it costs ~0.3 s of CPU, more than the rest of the
// CLI's start-up, and only reading image files or making PNGs needs it (not prune, not IDX data).
import type Sharp from 'sharp';

let loaded: Promise<typeof Sharp> | undefined;

export function loadSharp(): Promise<typeof Sharp> {
  loaded ??= import('sharp').then((m) => m.default);
  return loaded;
}
