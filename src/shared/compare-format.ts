// How the comparison's figures read wherever they are shown (CLI table, report.html, the Compare
// screen): accuracy in percent with its 95% interval, SSLMem to four places, p-values, verdicts.
import type { CompareResult, CompareTest, ComparePoint, Interval } from './documents.js';
import { formatFixed } from './format.js';

/** 0.7925 -> "79.25" (digits after the point: `digits`; no sign on a zero, as format.ts). */
export const percent = (v: number, digits = 2) => formatFixed(100 * v, digits);

/** "79.25 [77.60, 80.90]" (no interval: the value alone). */
export function percentWithInterval(v: number, ci: Interval, digits = 2): string {
  return ci ? `${percent(v, digits)} [${percent(ci[0], digits)}, ${percent(ci[1], digits)}]` : percent(v, digits);
}

export function signedWithInterval(v: number, ci: Interval): string {
  const f = (x: number) => {
    const s = formatFixed(x, 4);
    return s.startsWith('-') ? s : `+${s}`;
  };
  return ci ? `${f(v)} [${f(ci[0])}, ${f(ci[1])}]` : f(v);
}

export function pValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** The file name of a path (POSIX or Windows), for labels. */
export const fileName = (path: string) => path.split(/[\\/]/).pop()!;

/** "high layer 10%" / "none" / "finetuned f-tuned.onnx". */
export function pointName(p: Pick<ComparePoint, 'strategy' | 'scope' | 'ratio' | 'finetuned'>): string {
  if (p.strategy === 'none') return 'none';
  if (p.finetuned) return `${p.strategy} ${fileName(p.finetuned.path)}`;
  return `${p.strategy} ${p.scope} ${percent(p.ratio, 0)}%`;
}

const METRIC_NAMES: Record<CompareTest['metric'], string> = { accuracy: 'accuracy', sslmemGap: 'SSLMem gap' };

/** "high vs random" / "finetuned f-tuned.onnx vs none". */
export const testPair = (t: CompareTest) => `${t.finetuned ? `${t.a} ${fileName(t.finetuned)}` : t.a} vs ${t.b}`;

/** "layer 10%"; a fine-tuned encoder against the unpruned model has no cell: "unpruned". */
export const testCell = (t: CompareTest) => (t.finetuned ? 'unpruned' : `${t.scope} ${percent(t.ratio, 0)}%`);

/** "high vs random, layer 10%, accuracy: -3.20 [-5.10, -1.30] points, p 0.002, lower". */
export function testLine(t: CompareTest): string {
  const diff =
    t.metric === 'accuracy'
      ? `${percentWithInterval(t.difference, t.ci95)} points`
      : signedWithInterval(t.difference, t.ci95);
  return `${testPair(t)}, ${testCell(t)}, ${METRIC_NAMES[t.metric]}: ${diff}, p ${pValue(t.pValue)}, ${t.verdict}`;
}

/** The settings every figure depends on, as one line each. */
export function settingsLines(r: CompareResult): string[] {
  const s = r.settings;
  const ssl = s.sslmem as { reference?: { path: string }; control?: string } | undefined;
  const boot = s.bootstrap as { resamples?: number; seed?: number } | undefined;
  return [
    `probe: ${s.probe}${s.probe === 'knn' ? ` (k ${s.k})` : ''}, trained on ${s.train}, tested on ${s.test}`,
    `memorization on ${s.data}: ${s.views} views per point${ssl?.reference ? `; SSLMem against ${ssl.reference.path}, control ${ssl.control}` : '; no reference encoder (no SSLMem)'}`,
    `seeds ${JSON.stringify(s.seeds)} (random strategy; the others use the first)`,
    boot
      ? `95% intervals: bootstrap, ${boot.resamples} resamples, seed ${boot.seed}; tests: paired bootstrap against random (fine-tuned encoders: against none), p < 0.05`
      : 'no intervals (version 1 file)',
    `latency: ${s.latency}`,
  ];
}
