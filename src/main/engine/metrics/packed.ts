// Typed arrays inside JSON checkpoints and shard parts: base64 of the little-endian bytes, so
// float64 statistics survive a round trip bit for bit and stay a third the size of decimal text.
import { MemLensError } from '../errors.js';

export interface Packed {
  type: 'f64' | 'i32';
  base64: string;
}

const bytesOf = (a: Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export const packF64 = (a: Float64Array): Packed => ({ type: 'f64', base64: bytesOf(a) });
export const packI32 = (a: Int32Array): Packed => ({ type: 'i32', base64: bytesOf(a) });

function unpack(p: Packed, type: Packed['type'], length: number): Uint8Array {
  const bytes = p && p.type === type && typeof p.base64 === 'string' ? Buffer.from(p.base64, 'base64') : undefined;
  const size = type === 'f64' ? 8 : 4;
  if (!bytes || bytes.length !== length * size) {
    throw new MemLensError('BAD_INPUT', `a packed ${type} array of ${length} values is damaged`);
  }
  // A copy: Buffer.from may return a view at an offset that is not a multiple of the element size.
  return new Uint8Array(bytes);
}

export const unpackF64 = (p: Packed, length: number) => new Float64Array(unpack(p, 'f64', length).buffer);
export const unpackI32 = (p: Packed, length: number) => new Int32Array(unpack(p, 'i32', length).buffer);
