// The update's loops in WebAssembly (docs/FINETUNE.md "Data-parallel steps"): AdamW and SGD four
// floats at a time (SIMD), the weighted sum of the shards' gradients, and the gather that makes a
// weight's rearranged copies. In JS the AdamW loop ran at 5-6 ns a float (a double-precision sqrt and
// divide each); here it is under 1. The module is small enough to write out here rather than build:
// `encode` lays out its bytes from the binary format's sections and opcodes.
//
// Every kernel works on a memory it imports (shared, so worker threads can update one set of
// params, or one thread's own) at float offsets; the SIMD kernels run over whole groups of four,
// so regions come from `Layout`, which pads them to 16 bytes.

const PAGE = 65536;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => vec([...Buffer.from(s)].map((b) => [b]));
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

const [I32, F32, V128] = [0x7f, 0x7d, 0x7b];
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const tee = (i: number) => [0x22, ...leb(i)];
const simd = (op: number) => [0xfd, ...leb(op)];
const MEMARG = [4, 0];
const load = [...simd(0x00), ...MEMARG];
const store = [...simd(0x0b), ...MEMARG];
const splat = simd(0x13);
const [add, sub, mul, div, sqrt] = [0xe4, 0xe5, 0xe6, 0xe7, 0xe3].map(simd);

interface Kernel {
  name: string;
  params: number[];
  /** Extra locals after the params, as [count, type]. */
  locals: [number, number][];
  body: number[];
}

/**
 * A loop over byte offsets `i` (local `i`) from 0 while below local `end`, `step` bytes a turn:
 * block { loop { br_if(i >= end) 1; ...body; i += step; br 0 } }.
 */
const loop = (i: number, end: number, step: number, body: number[]) => [
  ...[0x02, 0x40, 0x03, 0x40],
  ...[...get(i), ...get(end), 0x4f, 0x0d, 1],
  ...body,
  ...[...get(i), 0x41, ...leb(step), 0x6a, ...set(i), 0x0c, 0, 0x0b, 0x0b],
];
/** The address local `base` + local `i`. */
const at = (base: number, i: number) => [...get(base), ...get(i), 0x6a];
/** Splats of the f32 params `from`.. into v128 locals `to`.. */
const splats = (from: number, to: number, n: number) =>
  Array.from({ length: n }, (_, k) => [...get(from + k), ...splat, ...set(to + k)]).flat();

const KERNELS: Kernel[] = [
  {
    // adamw(p, g, m, v, bytes; b1, 1-b1, b2, 1-b2, lr/(1-b1^t), 1/sqrt(1-b2^t), 1-lr*wd, eps):
    // m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p = p decay - step m / (sqrt(v) scale + eps)
    name: 'adamw',
    params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    locals: [
      [1, I32], // 13: i
      [8, V128], // 14-21: the constants
      [3, V128], // 22-24: g, m, v
    ],
    body: [
      ...splats(5, 14, 8),
      ...loop(13, 4, 16, [
        ...at(1, 13),
        ...load,
        ...set(22),
        ...[...at(2, 13), ...at(2, 13), ...load, ...get(14), ...mul, ...get(22), ...get(15), ...mul, ...add],
        ...[...tee(23), ...store],
        ...[...at(3, 13), ...at(3, 13), ...load, ...get(16), ...mul, ...get(22), ...get(22), ...mul, ...get(17)],
        ...[...mul, ...add, ...tee(24), ...store],
        ...[...at(0, 13), ...at(0, 13), ...load, ...get(20), ...mul, ...get(18), ...get(23), ...mul],
        ...[...get(24), ...sqrt, ...get(19), ...mul, ...get(21), ...add, ...div, ...sub, ...store],
      ]),
    ],
  },
  {
    // sgd(p, g, buf, bytes; wd, momentum (0 on the first step), lr):
    // buf = momentum buf + g + wd p; p = p - lr buf
    name: 'sgd',
    params: [I32, I32, I32, I32, F32, F32, F32],
    locals: [
      [1, I32], // 7: i
      [3, V128], // 8-10: the constants
      [1, V128], // 11: buf
    ],
    body: [
      ...splats(4, 8, 3),
      ...loop(7, 3, 16, [
        ...[...at(2, 7), ...at(2, 7), ...load, ...get(9), ...mul, ...at(1, 7), ...load, ...add],
        ...[...at(0, 7), ...load, ...get(8), ...mul, ...add, ...tee(11), ...store],
        ...[...at(0, 7), ...at(0, 7), ...load, ...get(10), ...get(11), ...mul, ...sub, ...store],
      ]),
    ],
  },
  {
    // axpby(x, y, bytes; a, b): x = a x + b y
    name: 'axpby',
    params: [I32, I32, I32, F32, F32],
    locals: [
      [1, I32], // 5: i
      [2, V128], // 6-7: a, b
    ],
    body: [
      ...splats(3, 6, 2),
      ...loop(5, 2, 16, [
        ...[...at(0, 5), ...at(0, 5), ...load, ...get(6), ...mul, ...at(1, 5), ...load, ...get(7), ...mul, ...add],
        ...store,
      ]),
    ],
  },
  {
    // gather(out, src, order, bytes): out[t] = src[order[t]], one float at a time
    name: 'gather',
    params: [I32, I32, I32, I32],
    locals: [[1, I32]], // 4: t
    body: loop(4, 3, 4, [
      ...at(0, 4),
      ...[...get(1), ...at(2, 4), 0x28, 2, 0, 0x41, 2, 0x74, 0x6a, 0x2a, 2, 0],
      ...[0x38, 2, 0],
    ]),
  },
];

/** The module's bytes: one type per kernel, the memory import (shared or not), the exports, the code. */
function encode(shared: boolean): Uint8Array {
  const types = KERNELS.map((k) => [0x60, ...vec(k.params.map((t) => [t])), ...vec([])]);
  const memory = [...name('env'), ...name('memory'), 0x02, shared ? 0x03 : 0x01, ...leb(1), ...leb(PAGE)];
  const code = KERNELS.map((k) => {
    const body = [...vec(k.locals.map(([n, t]) => [...leb(n), t])), ...k.body, 0x0b];
    return [...leb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec(types)),
    ...section(2, vec([memory])),
    ...section(3, vec(KERNELS.map((_, i) => leb(i)))),
    ...section(7, vec(KERNELS.map((k, i) => [...name(k.name), 0x00, ...leb(i)]))),
    ...section(10, vec(code)),
  ]);
}

const compiled = new Map<boolean, WebAssembly.Module>();

export interface Kernels {
  memory: WebAssembly.Memory;
  f32: Float32Array;
  i32: Int32Array;
  /** p, g, m, v: float offsets of `n` floats each. */
  adamw(p: number, g: number, m: number, v: number, n: number, c: AdamwConstants): void;
  sgd(p: number, g: number, buf: number, n: number, weightDecay: number, momentum: number, lr: number): void;
  /** x = a x + b y over `n` floats. */
  axpby(x: number, y: number, n: number, a: number, b: number): void;
  /** out[t] = src[order[t]] for t < n; `order` an int32 offset. */
  gather(out: number, src: number, order: number, n: number): void;
}

export interface AdamwConstants {
  b1: number;
  b2: number;
  step: number;
  scale: number;
  decay: number;
  eps: number;
}

/** A memory of at least `floats` floats; shared, for kernels in several threads, unless told. */
export const kernelMemory = (floats: number, shared = true) => {
  const pages = Math.max(1, Math.ceil((floats * 4) / PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
};

/** The kernels over `memory` (a kernelMemory, possibly made in another thread). */
export function kernels(memory: WebAssembly.Memory): Kernels {
  const shared = memory.buffer instanceof SharedArrayBuffer;
  if (!compiled.has(shared)) compiled.set(shared, new WebAssembly.Module(encode(shared)));
  const x = new WebAssembly.Instance(compiled.get(shared)!, { env: { memory } }).exports as Record<
    string,
    (...args: number[]) => void
  >;
  const bytes = (n: number) => 4 * n;
  return {
    memory,
    f32: new Float32Array(memory.buffer),
    i32: new Int32Array(memory.buffer),
    adamw: (p, g, m, v, n, c) =>
      x.adamw(4 * p, 4 * g, 4 * m, 4 * v, bytes(n), c.b1, 1 - c.b1, c.b2, 1 - c.b2, c.step, c.scale, c.decay, c.eps),
    sgd: (p, g, buf, n, wd, mu, lr) => x.sgd(4 * p, 4 * g, 4 * buf, bytes(n), wd, mu, lr),
    axpby: (a0, b0, n, a, b) => x.axpby(4 * a0, 4 * b0, bytes(n), a, b),
    gather: (out, src, order, n) => x.gather(4 * out, 4 * src, 4 * order, bytes(n)),
  };
}

/**
 * Float offsets of regions padded to 16 floats, for a kernelMemory of `size` floats: each region
 * starts on a 64-byte line. onnxruntime reads the fed weights and images where they lie, and its
 * AVX-512 kernels ran the demo CNN's step 6% slower on feeds 16 bytes off a line
 * (docs/FINETUNE.md, seventh round); the loops here need 16 bytes.
 */
export class Layout {
  size = 0;
  /** A region of `n` floats (or int32s): its offset. */
  add(n: number): number {
    const at = this.size;
    this.size += Math.ceil(n / 16) * 16;
    return at;
  }
}
