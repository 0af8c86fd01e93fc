// Metric documents as CSV tables (one row per unit, or per layer for LayerMem) for spreadsheets.
import type { ClassMemResult, LayerMemResult, UnitMemResult } from '../../../shared/api.js';

/** RFC 4180 quoting where a field needs it. */
function field(v: string | number | boolean): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function table(header: string[], rows: (string | number | boolean)[][]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

export function unitMemCsv(r: UnitMemResult): string {
  return table(
    ['layer', 'kind', 'unit', 'unitmem', 'mu_max', 'mu_rest', 'argmax_sample', 'top_samples'],
    r.layers.flatMap((l) =>
      l.unitmem.map((u, k) => [
        l.name,
        l.kind,
        k,
        u,
        l.muMax[k],
        l.muRest[k],
        r.samples[l.argmaxSample[k]],
        // One cell, highest first; ';' because sample ids are file names and may hold spaces.
        (l.top?.[k] ?? []).map((i) => r.samples[i]).join(';'),
      ]),
    ),
  );
}

export function classMemCsv(r: ClassMemResult): string {
  return table(
    ['layer', 'kind', 'unit', 'classmem', 'argmax_class'],
    r.layers.flatMap((l) => l.classmem.map((c, k) => [l.name, l.kind, k, c, r.classes[l.argmaxClass[k]]])),
  );
}

export function layerMemCsv(r: LayerMemResult): string {
  return table(
    ['layer', 'kind', 'tensor', 'layermem', 'delta'],
    r.layers.map((l) => [l.name, l.kind, l.tensor, l.layermem, l.delta]),
  );
}
