// Writes NumPy .npy files (format 1.0: magic, little-endian header dict padded to 64 bytes, data)
// so features can be checked by an independent reference (scripts/reference-probe.py).
import { writeFileAtomic } from '../files.js';

export async function writeNpy(path: string, data: Float32Array | Int32Array, shape: number[]): Promise<void> {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(Buffer.from(header, 'latin1'), 10);
  await writeFileAtomic(path, [head, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
}
