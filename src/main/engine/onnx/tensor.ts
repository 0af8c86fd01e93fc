// Reading and making TensorProtos. Weights live in raw_data (little-endian, as every exporter writes
// them); reads return typed-array views over those bytes where the alignment allows, copies otherwise.
import { MemLensError } from '../errors.js';
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

function view<T>(t: TensorProto, Ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }): T {
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
  if (!Ctor) throw new MemLensError('UNSUPPORTED', `tensor ${t.name}: data type ${DataType[t.data_type]} is not an integer type`);
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
