import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../engine/files.js';

export interface Bounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized?: boolean;
}

export const DEFAULT_BOUNDS: Bounds = { width: 1280, height: 820 };
// Smaller than this and the screens' tables and charts stop being usable.
const MIN = { width: 800, height: 560 };

/** Saved window bounds, or the default when the file is missing or damaged. */
export function loadBounds(file: string): Bounds {
  try {
    const b = JSON.parse(readFileSync(file, 'utf8')) as Partial<Bounds>;
    const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
    const width = int(b.width);
    const height = int(b.height);
    if (width === undefined || height === undefined) return DEFAULT_BOUNDS;
    const out: Bounds = { width: Math.max(MIN.width, width), height: Math.max(MIN.height, height) };
    const x = int(b.x);
    const y = int(b.y);
    if (x !== undefined && y !== undefined) Object.assign(out, { x, y });
    if (b.maximized === true) out.maximized = true;
    return out;
  } catch {
    return DEFAULT_BOUNDS;
  }
}

export function saveBounds(file: string, b: Bounds): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(b) + '\n');
}
