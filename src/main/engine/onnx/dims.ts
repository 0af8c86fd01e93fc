// Arithmetic on dimensions that may be symbolic ("batch"): enough to infer Reshape's -1 and Flatten
// when the batch size is a name. A symbolic product is written "16*batch" (coefficient, then names).
import type { Dim } from './shapes.js';

interface Factored {
  coef: number;
  syms: string[];
}

function factor(d: Dim): Factored {
  if (typeof d === 'number') return { coef: d, syms: [] };
  const parts = d.split('*');
  let coef = 1;
  const syms: string[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (p !== '' && Number.isFinite(n)) coef *= n;
    else syms.push(p);
  }
  return { coef, syms };
}

function render(f: Factored): Dim {
  if (f.syms.length === 0) return f.coef;
  const syms = [...f.syms].sort();
  return f.coef === 1 ? syms.join('*') : `${f.coef}*${syms.join('*')}`;
}

/** Whether both dimension lists are there and equal (symbolic dims by name). */
export function sameDims(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

export function mulDims(dims: readonly Dim[]): Dim {
  const out: Factored = { coef: 1, syms: [] };
  for (const d of dims) {
    const f = factor(d);
    out.coef *= f.coef;
    out.syms.push(...f.syms);
  }
  return render(out);
}

/** a / b, or undefined when b's names do not all cancel or the division is not exact. */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  const fa = factor(a);
  const fb = factor(b);
  if (fb.coef === 0 || fa.coef % fb.coef !== 0) return undefined;
  const syms = [...fa.syms];
  for (const s of fb.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return undefined;
    syms.splice(i, 1);
  }
  return render({ coef: fa.coef / fb.coef, syms });
}

/** Numpy broadcasting of two dims; a symbolic dim broadcast with 1 stays symbolic. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number') return a;
  return b;
}

export function broadcastShapes(shapes: readonly Dim[][]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k >= 0) d = broadcastDim(d, s[k]);
    }
    out.push(d);
  }
  return out;
}

/** A dim's value with every symbolic factor set to 1 ("2*batch" -> 2): per-sample sizes. */
export function dimPerSample(d: Dim): number {
  return factor(d).coef;
}
