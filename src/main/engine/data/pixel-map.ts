// Brightness and contrast are both "scale, shift, clamp" per pixel, and such maps compose into one
// (for non-negative scales). Views keep their pending map unapplied and fold it into the final
// normalized write, so the jitter costs no extra pass over the image (the passes dominated views).

/** v -> min(max(a * v + b, lo), hi), applied to every channel alike. */
export interface PixelMap {
  a: number;
  b: number;
  lo: number;
  hi: number;
}

/**
 * Resampled pixels lie in [0, 1] (up to rounding), so [0, 2] bounds clamp nothing yet stay finite.
 * Not frozen: a frozen object gets another hidden class and would make the hot loops polymorphic.
 */
export const IDENTITY_MAP: Readonly<PixelMap> = { a: 1, b: 0, lo: 0, hi: 2 };

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** `m` followed by v -> clamp01(f * v + c) (f >= 0: the clamp of `m` then commutes with the scale). */
export function thenClamped01(m: PixelMap, f: number, c: number): PixelMap {
  return { a: f * m.a, b: f * m.b + c, lo: clamp(f * m.lo + c, 0, 1), hi: clamp(f * m.hi + c, 0, 1) };
}

export function mapPixel(m: PixelMap, v: number): number {
  return clamp(m.a * v + m.b, m.lo, m.hi);
}

/** Applies `m` in place to the first `len` values (before steps that are not per-pixel maps). */
export function applyMap(p: Float32Array, len: number, m: PixelMap): void {
  const { a, b, lo, hi } = m;
  for (let i = 0; i < len; i++) {
    const v = a * p[i] + b;
    p[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
