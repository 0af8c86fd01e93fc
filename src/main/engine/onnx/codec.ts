// Binary protobuf <-> ModelProto. Decoding uses protobufjs: `bytes` fields decode to Buffer subarrays
// of the input (no copy), so a 100 MB model costs its file buffer plus small objects. Encoding sizes
// everything first and writes each byte once (encode.ts).
import protobuf from 'protobufjs';
import { MemLensError } from '../errors.js';
import { encodeMessage } from './encode.js';
import { messageType, type ModelProto } from './schema.js';

type LongLike = { low: number; high: number; unsigned: boolean; toNumber(): number; toString(): string };

/** int64 as a number where exact, else a bigint (never a Long, which callers cannot do arithmetic on). */
function fromLong(v: LongLike): number | bigint {
  // |v| < 2^53: high word is 0 or 0xffffffff-ish and toNumber is exact.
  const hi = v.high;
  if ((hi >= 0 && hi < 0x200000) || (!v.unsigned && hi < 0 && hi >= -0x200000)) return v.toNumber();
  return BigInt(v.toString());
}

class OnnxReader extends protobuf.BufferReader {
  constructor(buf: Buffer) {
    super(buf);
    // protobufjs drops unknown fields by default; ONNX files from newer exporters must survive a round trip.
    this.discardUnknown = false;
  }
  override int64(): never {
    return fromLong(super.int64() as unknown as LongLike) as never;
  }
  override uint64(): never {
    return fromLong(super.uint64() as unknown as LongLike) as never;
  }
}

/**
 * Decodes an ONNX file's bytes. `source` names the file in error messages. Throws BAD_MODEL for
 * bytes that are not protobuf, are truncated, or are a protobuf without the fields every ONNX model
 * has (ir_version and a graph).
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  if (bytes.length === 0) throw new MemLensError('BAD_MODEL', `${source}: file is empty, not an ONNX model`);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let proto: ModelProto;
  try {
    proto = messageType('ModelProto').decode(new OnnxReader(buf)) as unknown as ModelProto;
  } catch (e) {
    const why = /index out of range/.test((e as Error).message) ? 'truncated or corrupt' : 'corrupt';
    throw new MemLensError('BAD_MODEL', `${source}: not a valid ONNX model (${why} protobuf: ${(e as Error).message})`);
  }
  if (!Object.prototype.hasOwnProperty.call(proto, 'ir_version') || !proto.graph) {
    const missing = !proto.graph ? 'no graph' : 'no ir_version';
    throw new MemLensError('BAD_MODEL', `${source}: not an ONNX model (protobuf has ${missing})`);
  }
  return proto;
}

/** Serializes a model into one buffer: what onnxruntime's InferenceSession.create() accepts. */
export function encodeModel(proto: ModelProto): Uint8Array {
  const [bytes] = encodeMessage(proto, messageType('ModelProto'));
  return bytes ?? new Uint8Array(0);
}

/** Serializes a model as chunks to write in order; large tensors' bytes are their own buffers (no copy). */
export function encodeModelChunks(proto: ModelProto): Uint8Array[] {
  return encodeMessage(proto, messageType('ModelProto'), true);
}
