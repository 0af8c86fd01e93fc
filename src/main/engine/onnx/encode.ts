// Protobuf encoding in two passes — sizes, then bytes — driven by the schema's protobufjs reflection.
// protobufjs's own writer grows a buffer by doubling and shifts every nested message to fit its
// length prefix, which on a 100 MB model costs ~3x the model in memory and several full copies
// (measured: scripts/bench/onnx-codec.js). Knowing every size first, this writes each byte once:
// into one exact-size buffer (encodeModel), or as chunks whose large `bytes` fields are the tensors'
// own buffers, not copies (saveModel writes those chunks to the file).
// Field order, presence and unknown fields follow protobufjs's encoder, so output is byte-identical.
import protobuf from 'protobufjs';

type Msg = Record<string, unknown> & { $unknowns?: Uint8Array[] };

/** Bytes fields at least this large become their own chunk instead of being copied. */
const CHUNK_MIN = 64 * 1024;

/** Wire types of the scalar types supported (all the ONNX schema uses; no zigzag sint). */
const WIRE: Record<string, number> = {
  double: 1,
  float: 5,
  int32: 0,
  uint32: 0,
  int64: 0,
  uint64: 0,
  fixed32: 5,
  sfixed32: 5,
  fixed64: 1,
  sfixed64: 1,
  bool: 0,
  string: 2,
  bytes: 2,
};

interface FieldPlan {
  name: string;
  id: number;
  /** Scalar type, 'enum', or 'message'. */
  kind: string;
  repeated: boolean;
  packed: boolean;
  type?: protobuf.Type;
}

const plans = new WeakMap<protobuf.Type, FieldPlan[]>();

function plan(t: protobuf.Type): FieldPlan[] {
  let p = plans.get(t);
  if (!p) {
    p = [...t.fieldsArray]
      .sort((a, b) => a.id - b.id)
      .map((f) => {
        f.resolve();
        const message = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
        const kind = message ? 'message' : f.resolvedType instanceof protobuf.Enum ? 'enum' : f.type;
        if (!message && kind !== 'enum' && WIRE[kind] === undefined)
          throw new Error(`encode: unsupported field type ${f.type}`);
        return {
          name: f.name,
          id: f.id,
          kind,
          repeated: f.repeated,
          packed: f.repeated && f.packed && kind !== 'message' && kind !== 'string' && kind !== 'bytes',
          type: message,
        };
      });
    plans.set(t, p);
  }
  return p;
}

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return v < 2 ** 35 ? 5 : Math.ceil(Math.log2(v + 1) / 7);
}

/** A 64-bit varint value as an unsigned bigint (negative numbers as two's complement, like protobuf). */
function u64(v: unknown): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  if (typeof v === 'string') return BigInt.asUintN(64, BigInt(v));
  const l = v as { low: number; high: number };
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

function bigVarintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Size of one scalar value (without tag). */
function scalarSize(kind: string, v: unknown): number {
  switch (kind) {
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 4;
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 8;
    case 'bool':
      return 1;
    case 'int32':
    case 'enum':
      return (v as number) < 0 ? 10 : varintSize(v as number);
    case 'uint32':
      return varintSize((v as number) >>> 0);
    case 'int64':
    case 'uint64':
      return typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER ? varintSize(v) : bigVarintSize(u64(v));
    case 'string': {
      const n = Buffer.byteLength(v as string);
      return varintSize(n) + n;
    }
    case 'bytes': {
      const n = (v as Uint8Array).length;
      return varintSize(n) + n;
    }
    default:
      throw new Error(`encode: unsupported field type ${kind}`);
  }
}

const present = (m: Msg, name: string) => m[name] != null && Object.prototype.hasOwnProperty.call(m, name);

class Sizer {
  readonly sizes = new WeakMap<object, number>();

  message(m: Msg, t: protobuf.Type): number {
    const cached = this.sizes.get(m);
    if (cached !== undefined) return cached;
    let n = 0;
    for (const f of plan(t)) {
      if (!present(m, f.name)) continue;
      const tag = varintSize(f.id << 3);
      const v = m[f.name];
      if (f.repeated) {
        const list = v as unknown[];
        if (!list.length) continue;
        if (f.packed) {
          let body = 0;
          for (const x of list) body += scalarSize(f.kind, x);
          n += tag + varintSize(body) + body;
        } else for (const x of list) n += tag + this.value(f, x);
      } else n += tag + this.value(f, v);
    }
    for (const u of m.$unknowns ?? []) n += u.length;
    this.sizes.set(m, n);
    return n;
  }

  value(f: FieldPlan, v: unknown): number {
    if (f.kind !== 'message') return scalarSize(f.kind, v);
    const n = this.message(v as Msg, f.type!);
    return varintSize(n) + n;
  }
}

/** Writes into segments of a pre-sized buffer; large bytes values become chunks of their own. */
class Emitter {
  private pos = 0;
  private start = 0;
  readonly chunks: Uint8Array[] = [];

  constructor(
    private readonly buf: Buffer,
    private readonly sizer: Sizer,
    private readonly split: boolean,
  ) {}

  finish(): Uint8Array[] {
    this.cut();
    return this.chunks;
  }

  private cut(): void {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  private varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  private bigVarint(v: bigint): void {
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private scalar(kind: string, v: unknown): void {
    const b = this.buf;
    switch (kind) {
      case 'float':
        this.pos = b.writeFloatLE(v as number, this.pos);
        return;
      case 'double':
        this.pos = b.writeDoubleLE(v as number, this.pos);
        return;
      case 'fixed32':
        this.pos = b.writeUInt32LE((v as number) >>> 0, this.pos);
        return;
      case 'sfixed32':
        this.pos = b.writeInt32LE(v as number, this.pos);
        return;
      case 'fixed64':
      case 'sfixed64':
        this.pos = b.writeBigUInt64LE(u64(v), this.pos);
        return;
      case 'bool':
        b[this.pos++] = v ? 1 : 0;
        return;
      case 'int32':
      case 'enum':
        if ((v as number) < 0) this.bigVarint(u64(v));
        else this.varint(v as number);
        return;
      case 'uint32':
        this.varint((v as number) >>> 0);
        return;
      case 'int64':
      case 'uint64':
        if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) this.varint(v);
        else this.bigVarint(u64(v));
        return;
      case 'string': {
        const s = v as string;
        this.varint(Buffer.byteLength(s));
        this.pos += b.write(s, this.pos, 'utf8');
        return;
      }
      case 'bytes': {
        const bytes = v as Uint8Array;
        this.varint(bytes.length);
        if (this.split && bytes.length >= CHUNK_MIN) {
          this.cut();
          this.chunks.push(bytes);
        } else {
          b.set(bytes, this.pos);
          this.pos += bytes.length;
        }
        return;
      }
    }
  }

  message(m: Msg, t: protobuf.Type): void {
    for (const f of plan(t)) {
      if (!present(m, f.name)) continue;
      const tag = f.id << 3;
      const v = m[f.name];
      if (f.repeated) {
        const list = v as unknown[];
        if (!list.length) continue;
        if (f.packed) {
          let body = 0;
          for (const x of list) body += scalarSize(f.kind, x);
          this.varint(tag | 2);
          this.varint(body);
          for (const x of list) this.scalar(f.kind, x);
        } else for (const x of list) this.field(f, tag, x);
      } else this.field(f, tag, v);
    }
    for (const u of m.$unknowns ?? []) {
      this.buf.set(u, this.pos);
      this.pos += u.length;
    }
  }

  private field(f: FieldPlan, tag: number, v: unknown): void {
    if (f.kind === 'message') {
      this.varint(tag | 2);
      this.varint(this.sizer.message(v as Msg, f.type!));
      this.message(v as Msg, f.type!);
    } else {
      this.varint(tag | (f.kind === 'enum' ? 0 : WIRE[f.kind]));
      this.scalar(f.kind, v);
    }
  }
}

/**
 * Encodes `msg` of type `t`. With `split`, returns chunks in which bytes fields of 64 KiB and more are
 * the caller's own buffers (for writing to a file without a copy); otherwise one buffer.
 */
export function encodeMessage(msg: object, t: protobuf.Type, split = false): Uint8Array[] {
  const sizer = new Sizer();
  const total = sizer.message(msg as Msg, t);
  // With split, the large bytes fields are not copied, so the buffer holds only the rest.
  const buf = Buffer.allocUnsafe(split ? total - largeBytes(msg as Msg, t) : total);
  const e = new Emitter(buf, sizer, split);
  e.message(msg as Msg, t);
  return e.finish();
}

/** Total length of the bytes fields that `split` emits as separate chunks. */
function largeBytes(m: Msg, t: protobuf.Type): number {
  let n = 0;
  for (const f of plan(t)) {
    if (!present(m, f.name)) continue;
    const values = f.repeated ? (m[f.name] as unknown[]) : [m[f.name]];
    for (const v of values) {
      if (f.kind === 'bytes' && (v as Uint8Array).length >= CHUNK_MIN) n += (v as Uint8Array).length;
      else if (f.kind === 'message') n += largeBytes(v as Msg, f.type!);
    }
  }
  return n;
}
