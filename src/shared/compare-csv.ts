// compare.csv: one row per point of a memlens.compare/2 document, written by `memlens compare` and
// exported by the Compare screen (one definition for both). Empty cells: no interval (version 1
// files), no SSLMem (no reference encoder) or no fine-tuned model (the
// finetuned column: the encoder of a `finetuned` point); seeds are joined with ';'.
import type { ComparePoint, CompareResult } from './documents.js';

const COLUMNS: [string, (p: ComparePoint) => unknown][] = [
  ['strategy', (p) => p.strategy],
  ['scope', (p) => p.scope],
  ['ratio', (p) => p.ratio],
  ['seeds', (p) => p.seeds.join(';')],
  ['accuracy', (p) => p.accuracy.mean],
  ['accuracyLow', (p) => p.accuracy.ci95?.[0]],
  ['accuracyHigh', (p) => p.accuracy.ci95?.[1]],
  ['unitmem', (p) => p.memorization.unitmem.mean],
  ['unitmemMeasured', (p) => p.memorization.unitmem.measured],
  ['sslmemCandidates', (p) => p.memorization.sslmem?.candidates],
  ['sslmemControl', (p) => p.memorization.sslmem?.control],
  ['sslmemGap', (p) => p.memorization.sslmem?.gap],
  ['gapLow', (p) => p.memorization.sslmem?.ci95?.[0]],
  ['gapHigh', (p) => p.memorization.sslmem?.ci95?.[1]],
  ['params', (p) => p.params],
  ['flops', (p) => p.flops],
  ['latencyMs', (p) => p.latencyMs],
  // Last, so the columns before keep their places in files written before fine-tuned points.
  ['finetuned', (p) => p.finetuned?.path],
];

/** RFC 4180: a cell with a comma, quote or newline is quoted. */
function cell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function compareCsv(r: Pick<CompareResult, 'points'>): string {
  return [
    COLUMNS.map(([name]) => name).join(','),
    ...r.points.map((p) => COLUMNS.map(([, get]) => cell(get(p))).join(',')),
    '',
  ].join('\n');
}
