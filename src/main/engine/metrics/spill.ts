// The median rest needs every sample's mean of a unit, which does not fit in memory at scale
// (50,000 candidates x 26,560 ResNet-50 units = 10.6 GB). The means go to disk instead, one
// float64 file per layer ([samples, units], appended batch by batch), and each unit's median is
// taken over a column read back in unit chunks that fit the memory budget (docs/SCALE.md "Memory").
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemLensError } from '../errors.js';
import { medianWithout } from './unitmem.js';

const layerFile = (dir: string, layer: number) => join(dir, `${layer}.f64`);

/** Appends per-sample means to one file per layer. */
export class MeanSpill {
  private readonly fds: number[];
  /** Bytes written so far, per layer file. */
  private readonly ends: number[];

  /** Opens (or reopens, cut back to its first `keepRows` samples: a resumed run) the spill in `dir`. */
  constructor(
    readonly dir: string,
    readonly units: number[],
    keepRows = 0,
  ) {
    mkdirSync(dir, { recursive: true });
    this.ends = units.map((u) => keepRows * u * 8);
    this.fds = units.map((u, l) => {
      const fd = openSync(layerFile(dir, l), keepRows > 0 ? 'r+' : 'w');
      const size = keepRows * u * 8;
      if (fstatSync(fd).size < size) {
        closeSync(fd);
        throw new MemLensError(
          'BAD_INPUT',
          `spilled means ${layerFile(dir, l)} are shorter than the checkpoint says; remove the checkpoint to start over`,
        );
      }
      ftruncateSync(fd, size);
      return fd;
    });
  }

  append(layer: number, mu: Float64Array): void {
    const bytes = new Uint8Array(mu.buffer, mu.byteOffset, mu.byteLength);
    for (let off = 0; off < bytes.length;) {
      const n = writeSync(this.fds[layer], bytes, off, bytes.length - off, this.ends[layer]);
      off += n;
      this.ends[layer] += n;
    }
  }

  /** Makes every appended mean durable (before a checkpoint counts it as done). */
  sync(): void {
    for (const fd of this.fds) fsyncSync(fd);
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
  }
}

/** A spill holding `rows` consecutive samples; segments in sample order make up all candidates. */
export interface SpillSegment {
  dir: string;
  rows: number;
}

/**
 * Per unit of `layer`, the median of every sample's mean except the `argmax` sample's, exactly as
 * if all means were in memory. Reads the layer's files once per chunk of units; a chunk's columns
 * take at most `budget` bytes.
 */
export function spilledMedians(
  segments: SpillSegment[],
  layer: number,
  units: number,
  argmax: Int32Array,
  budget: number,
): Float64Array {
  const out = new Float64Array(units);
  if (units === 0) return out; // a layer without units to read
  const samples = segments.reduce((a, s) => a + s.rows, 0);
  const chunk = Math.max(1, Math.min(units, Math.floor(budget / (8 * samples))));
  const columns = new Float64Array(chunk * samples);
  const rowBytes = units * 8;
  const block = new Float64Array(Math.max(1, Math.floor((8 << 20) / rowBytes)) * units);
  for (let u0 = 0; u0 < units; u0 += chunk) {
    const width = Math.min(chunk, units - u0);
    let row = 0;
    for (const seg of segments) {
      const fd = openSync(layerFile(seg.dir, layer), 'r');
      try {
        for (let r = 0; r < seg.rows;) {
          const n = Math.min(seg.rows - r, block.length / units);
          const want = n * rowBytes;
          const got = readSync(fd, new Uint8Array(block.buffer, 0, want), 0, want, r * rowBytes);
          if (got !== want)
            throw new MemLensError('BAD_INPUT', `spilled means ${layerFile(seg.dir, layer)} are cut short`);
          for (let i = 0; i < n; i++, row++) {
            for (let j = 0; j < width; j++) columns[j * samples + row] = block[i * units + u0 + j];
          }
          r += n;
        }
      } finally {
        closeSync(fd);
      }
    }
    for (let j = 0; j < width; j++)
      out[u0 + j] = medianWithout(columns.subarray(j * samples, (j + 1) * samples), argmax[u0 + j]);
  }
  return out;
}
