// Seeded randomness for everything that must be reproducible (views, random pruning, probe splits).
// A stream is keyed by integers, e.g. (seed, sample, view), so what a key draws never depends on
// how many other keys were drawn before it (batch size and order do not matter).

const TWO_POW_32 = 4294967296;

/** splitmix32 finalizer: spreads every input bit over the whole word. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** Folds a key (any finite number; both 32-bit halves count) into a running hash. */
function absorb(h: number, key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / TWO_POW_32) >>> 0;
  h = mix32((h + 0x9e3779b9 + lo) >>> 0);
  return mix32((h ^ hi) >>> 0);
}

/** sfc32 generator (PractRand-clean, 128-bit state, a few integer ops per draw). */
export class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(...keys: number[]) {
    this.reseed(...keys);
  }

  /** Restarts the stream for these keys without allocating (hot path: one reseed per view). */
  reseed(...keys: number[]): this {
    let h = 0x3c6ef372;
    for (const k of keys) {
      if (!Number.isFinite(k)) throw new RangeError(`random key must be a finite number, got ${k}`);
      h = absorb(h, k);
    }
    this.a = h;
    this.b = mix32(h ^ 0x6a09e667);
    this.c = mix32(h ^ 0xbb67ae85);
    this.d = 1;
    // The first outputs of sfc32 are still correlated with the seed words.
    for (let i = 0; i < 12; i++) this.nextUint32();
    return this;
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Fisher-Yates shuffle in place; returns the same array. */
export function shuffle<T extends { length: number; [i: number]: unknown }>(items: T, rng: Random): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/** A random permutation of 0..n-1. */
export function permutation(n: number, rng: Random): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffle(p, rng);
}
