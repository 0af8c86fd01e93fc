// Reading and making TensorProtos. Weights live in raw_data (little-endian, as every exporter writes
// them); reads return typed-array views over those bytes where the alignment allows, copies otherwise.
import { MemLensError } from '../errors.js';
import { limit, overLimit } from '../limits.js';
import { create, DataLocation, DataType, type Int64, type TensorProto } from './schema.js';

const ELEMENT_BYTES: Partial<Record<DataType, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

/** Bytes per element of a fixed-size data type; undefined for strings and sub-byte types. */
export function elementBytes(type: DataType): number | undefined {
  return ELEMENT_BYTES[type];
}

/** Bits per element as stored in raw_data, for every data type a tensor may hold but STRING. */
const STORED_BITS: Partial<Record<DataType, number>> = {
  ...Object.fromEntries(Object.entries(ELEMENT_BYTES).map(([k, v]) => [k, v * 8])),
  [DataType.COMPLEX64]: 64,
  [DataType.COMPLEX128]: 128,
  [DataType.FLOAT8E4M3FN]: 8,
  [DataType.FLOAT8E4M3FNUZ]: 8,
  [DataType.FLOAT8E5M2]: 8,
  [DataType.FLOAT8E5M2FNUZ]: 8,
  [DataType.UINT4]: 4,
  [DataType.INT4]: 4,
  [DataType.FLOAT4E2M1]: 4,
};

/** Values in the typed field of a tensor without raw_data (onnx.proto: which field holds which type, complex as pairs). */
function typedValues(t: TensorProto): number {
  switch (t.data_type) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return t.float_data.length;
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return t.double_data.length;
    case DataType.INT64:
      return t.int64_data.length;
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64_data.length;
    case DataType.STRING:
      return t.string_data.length;
    default:
      return t.int32_data.length;
  }
}

/**
 * Checks that a loaded tensor's data is what its dims declare, so nothing downstream sizes work or
 * memory by dims the file does not back (a [1e9, 1, 3, 3] weight with nine floats of data). Dims are
 * multiplied as bigints, so no product wraps or loses precision; a declared size over the
 * tensorBytes limit is refused before any comparison. `source` names the file in the message.
 */
export function checkTensorData(t: TensorProto, source: string): void {
  const where = `${source}: tensor '${t.name}'`;
  const bits = STORED_BITS[t.data_type as DataType];
  if (bits === undefined && t.data_type !== DataType.STRING) {
    throw new MemLensError('BAD_MODEL', `${where} has unknown data type ${t.data_type}`);
  }
  let count = 1n;
  for (const d of t.dims) {
    if (typeof d === 'bigint' ? d < 0n : !Number.isInteger(d) || d < 0)
      throw new MemLensError('BAD_MODEL', `${where} has a negative dim in [${t.dims.join(', ')}]`);
    count *= BigInt(d);
  }
  const bytes = bits === undefined ? count : (count * BigInt(bits) + 7n) / 8n;
  if (bytes > BigInt(limit('tensorBytes'))) {
    throw overLimit('tensorBytes', `${where} declares dims [${t.dims.join(', ')}] (${bytes} bytes)`, 'BAD_MODEL');
  }
  if (t.raw_data.byteLength > 0 || bits === undefined) {
    const have = bits === undefined ? BigInt(typedValues(t)) : BigInt(t.raw_data.byteLength);
    if (have !== bytes) {
      const unit = bits === undefined ? 'strings' : 'bytes';
      throw new MemLensError(
        'BAD_MODEL',
        `${where} declares dims [${t.dims.join(', ')}] (${bytes} ${unit}) but holds ${have} ${unit}`,
      );
    }
    return;
  }
  const values = BigInt(typedValues(t));
  const per = t.data_type === DataType.COMPLEX64 || t.data_type === DataType.COMPLEX128 ? 2n : 1n;
  // Sub-byte types pack two elements per int32 value.
  const want = bits < 8 ? (count + 1n) / 2n : count * per;
  if (values !== want) {
    throw new MemLensError(
      'BAD_MODEL',
      `${where} declares dims [${t.dims.join(', ')}] (${want} values) but holds ${values} values`,
    );
  }
}

/** Product of the dims (1 for a scalar). */
export function elementCount(t: Pick<TensorProto, 'dims'>): number {
  let n = 1;
  for (const d of t.dims) n *= Number(d);
  return n;
}

export function isExternal(t: TensorProto): boolean {
  return t.data_location === DataLocation.EXTERNAL;
}

/**
 * Bytes in raw_data. A tensor written without raw_data decodes to protobufjs's default, an empty
 * array rather than a Uint8Array, so read the length, which both have.
 */
function rawLength(t: TensorProto): number {
  return t.raw_data?.length ?? 0;
}

function view<T>(
  t: TensorProto,
  Ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number },
): T {
  const raw = t.raw_data;
  const n = raw.byteLength / Ctor.BYTES_PER_ELEMENT;
  if (raw.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(raw.buffer as ArrayBuffer, raw.byteOffset, n);
  // Unaligned inside the file buffer (protobuf does not align fields): copy once.
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return new Ctor(copy.buffer, 0, n);
}

function checkRaw(t: TensorProto, type: DataType): void {
  if (isExternal(t)) throw new MemLensError('BAD_MODEL', `tensor ${t.name}: external data not loaded`);
  const want = elementCount(t) * elementBytes(type)!;
  if (rawLength(t) !== want) {
    throw new MemLensError('BAD_MODEL', `tensor ${t.name}: raw_data has ${rawLength(t)} bytes, dims need ${want}`);
  }
}

/** A FLOAT tensor's values; a view over raw_data (no copy) when aligned, so treat it as read-only. */
export function tensorToFloat32(t: TensorProto): Float32Array {
  if (t.data_type !== DataType.FLOAT) {
    throw new MemLensError('UNSUPPORTED', `tensor ${t.name}: data type ${DataType[t.data_type]} is not FLOAT`);
  }
  // An empty tensor (dims with a 0) is valid with no data at all: it falls through to float_data.
  if (rawLength(t) > 0 || isExternal(t)) {
    checkRaw(t, DataType.FLOAT);
    return view(t, Float32Array);
  }
  return Float32Array.from(t.float_data);
}

type IntArray = { new (b: ArrayBuffer, o: number, n: number): ArrayLike<number | bigint>; BYTES_PER_ELEMENT: number };
const INT_ARRAYS: Partial<Record<DataType, IntArray>> = {
  [DataType.INT64]: BigInt64Array,
  [DataType.INT32]: Int32Array,
  [DataType.INT16]: Int16Array,
  [DataType.INT8]: Int8Array,
  [DataType.UINT8]: Uint8Array,
  [DataType.UINT16]: Uint16Array,
  [DataType.UINT32]: Uint32Array,
  [DataType.BOOL]: Uint8Array,
};

/** Integer tensor values (INT64, INT32, INT8/16, UINT8/16/32, BOOL) as numbers; for shapes, axes, indices. */
export function tensorToInts(t: TensorProto): number[] {
  const Ctor = INT_ARRAYS[t.data_type as DataType];
  if (!Ctor)
    throw new MemLensError(
      'UNSUPPORTED',
      `tensor ${t.name}: data type ${DataType[t.data_type]} is not an integer type`,
    );
  if (rawLength(t) > 0 || isExternal(t)) {
    checkRaw(t, t.data_type);
    return Array.from(view(t, Ctor), clampInt);
  }
  const fields: Int64[] = t.data_type === DataType.INT64 ? t.int64_data : t.int32_data;
  return fields.map(clampInt);
}

/** INT64_MAX/MIN sentinels (Slice ends "to the end") become ±Infinity-like safe bounds. */
function clampInt(v: number | bigint): number {
  if (typeof v === 'number') return v;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

/** Numeric values of any float or integer tensor, as float64; for constant folding and small params. */
export function tensorToNumbers(t: TensorProto): number[] {
  if (t.data_type === DataType.FLOAT) return Array.from(tensorToFloat32(t));
  if (t.data_type === DataType.DOUBLE) {
    if (rawLength(t) > 0 || isExternal(t)) {
      checkRaw(t, DataType.DOUBLE);
      return Array.from(view(t, Float64Array));
    }
    return t.double_data.slice();
  }
  return tensorToInts(t);
}

/** A FLOAT tensor holding `data` as raw_data (a view of data's bytes, not a copy). */
export function float32Tensor(name: string, dims: number[], data: Float32Array): TensorProto {
  if (data.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new MemLensError('BAD_INPUT', `tensor ${name}: ${data.length} values do not fill dims [${dims}]`);
  }
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return create('TensorProto', { name, dims, data_type: DataType.FLOAT, raw_data: raw });
}

/** An INT64 tensor (shapes, axes, indices) stored as raw_data. */
export function int64Tensor(name: string, dims: number[], values: readonly number[]): TensorProto {
  if (values.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new MemLensError('BAD_INPUT', `tensor ${name}: ${values.length} values do not fill dims [${dims}]`);
  }
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return create('TensorProto', { name, dims, data_type: DataType.INT64, raw_data: new Uint8Array(data.buffer) });
}
