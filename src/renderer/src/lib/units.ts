import type { ClassMemResult, UnitMemResult } from '../../../shared/api.js';

/** What a "(signed)" mark means, wherever UnitMem numbers are shown (docs/UNITS.md "raw"). */
export const SIGNED_NOTE = 'read from signed values (activation raw): UnitMem can leave [0, 1]';

export interface UnitRow {
  layer: string;
  unit: number;
  unitmem: number;
  muMax: number;
  /** The sample id the unit responds to most (its memorized point). */
  sample: string;
  /** Its highest-mu samples, highest first (the first is `sample`). */
  top: TopSample[];
  classmem?: number;
  /** Present when the layer was read from signed values (activation raw): UnitMem can leave [0, 1]. */
  signed?: true;
  /** Class name the unit prefers, when ClassMem is known. */
  argmaxClass?: string;
}

export interface TopSample {
  sample: string;
  mu: number;
}

export type UnitKey = 'layer' | 'unit' | 'unitmem' | 'classmem' | 'muMax';

/** Every unit of every layer, with ClassMem joined in by layer name and unit index. */
export function unitRows(unitmem: UnitMemResult, classmem?: ClassMemResult): UnitRow[] {
  const cm = new Map(classmem?.layers.map((l) => [l.name, l]));
  const rows: UnitRow[] = [];
  for (const l of unitmem.layers) {
    const c = cm.get(l.name);
    for (let u = 0; u < l.unitmem.length; u++) {
      const sample = unitmem.samples[l.argmaxSample[u]];
      // Score files written before top-k carry only the argmax.
      const top =
        l.top && l.topMu
          ? l.top[u].map((i, k) => ({ sample: unitmem.samples[i], mu: l.topMu![u][k] }))
          : [{ sample, mu: l.muMax[u] }];
      const row: UnitRow = {
        layer: l.name,
        unit: u,
        unitmem: l.unitmem[u],
        muMax: l.muMax[u],
        sample,
        top,
        ...(l.signed ? { signed: true as const } : {}),
      };
      if (c) {
        row.classmem = c.classmem[u];
        row.argmaxClass = classmem!.classes[c.argmaxClass[u]];
      }
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Sorted copy; layers compare by forward order (their index in `layerOrder`), not by name,
 * and missing values (no ClassMem) always go last whatever the direction.
 */
export function sortUnits(
  rows: readonly UnitRow[],
  key: UnitKey,
  descending: boolean,
  layerOrder: readonly string[],
): UnitRow[] {
  const order = new Map(layerOrder.map((n, i) => [n, i]));
  const value = (r: UnitRow): number | undefined => (key === 'layer' ? order.get(r.layer) : r[key]);
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
    const d = descending ? vb - va : va - vb;
    // Ties (e.g. sorting by layer) keep units in index order.
    return d !== 0 ? d : order.get(a.layer)! - order.get(b.layer)! || a.unit - b.unit;
  });
}

/** What the Units screen narrows the table to: one layer (or all) and a search text. */
export interface UnitFilter {
  /** A layer's full name; empty for every layer. */
  layer: string;
  /** Matched, case-insensitively, against the layer name (full or short), the unit index and its sample id. */
  query: string;
}

/** The rows the filter keeps, in their order. `short` maps full layer names to their chart labels. */
export function filterUnits(
  rows: readonly UnitRow[],
  f: UnitFilter,
  short: ReadonlyMap<string, string> = new Map(),
): UnitRow[] {
  const q = f.query.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!f.layer || r.layer === f.layer) &&
      (!q || [r.layer, short.get(r.layer) ?? '', String(r.unit), r.sample].some((s) => s.toLowerCase().includes(q))),
  );
}

/** One page of `rows` (pages count from 0), with the page clamped to the ones that exist. */
export function pageOf<T>(rows: readonly T[], page: number, size: number): { rows: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { rows: rows.slice(p * size, (p + 1) * size), page: p, pages };
}
