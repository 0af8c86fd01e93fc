// How numbers read wherever a user sees them: the CLI's summaries, the report and the app's screens
// share these, so a count or a change reads the same everywhere. No sign on a zero ("-0.0%" and
// "-0.0000" never show), and a change that is not zero never rounds to look like one.
import type { NormalizationSource } from './api.js';

/** A count with thousands separators: 147584 -> "147,584". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A fixed-point number whose rounding to zero carries no sign: -0.00001 -> "0.0000". */
export function formatFixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A fraction as a percent: 0.25 -> "25.0%"; exactly 0 -> "0%" (the unpruned model, say). */
export function formatPercent(fraction: number, digits = 1): string {
  return fraction === 0 ? '0%' : `${formatFixed(100 * fraction, digits)}%`;
}

/**
 * A signed percent: 0.125 -> "+12.5%", -0.026 -> "-2.6%", 0 -> "0%". A nonzero value too small for
 * `digits` decimals gets two significant digits instead (+0.059%), so a change never reads as none.
 */
export function formatSignedPercent(fraction: number, digits = 1): string {
  if (fraction === 0) return '0%';
  if (!Number.isFinite(fraction)) return String(fraction);
  const pct = 100 * fraction;
  const shown = Math.abs(pct) < 0.5 * 10 ** -digits ? Math.abs(pct).toPrecision(2) : Math.abs(pct).toFixed(digits);
  return `${pct < 0 ? '-' : '+'}${shown}%`;
}

/** A count before and after, with the relative change: "147,584 -> 143,744 (-2.6%)". */
export function formatCountChange(before: number, after: number, arrow = '->'): string {
  const change = before > 0 ? formatSignedPercent((after - before) / before) : after === before ? '0%' : 'new';
  return `${formatCount(before)} ${arrow} ${formatCount(after)} (${change})`;
}

const NORMALIZATION_SOURCES: Record<Exclude<NormalizationSource, 'request'>, string> = {
  project: 'from project.memlens.json beside the model',
  default:
    'DEFAULT: none given and no project.memlens.json beside the model; pass the one the encoder was trained with',
};

/**
 * The normalization a result was computed with and where it came from, from its settings:
 * "mean 0.286 std 0.353 (--mean/--std)". `given` names the request's source in the caller's terms
 * (the CLI's options, the app's project). Undefined for settings without a normalization.
 */
export function formatNormalization(settings: Record<string, unknown>, given: string): string | undefined {
  const {
    mean,
    std,
    normalizationFrom: from,
  } = settings as { mean?: number[]; std?: number[]; normalizationFrom?: NormalizationSource };
  if (!mean || !std) return undefined;
  const source = from === undefined ? undefined : from === 'request' ? given : NORMALIZATION_SOURCES[from];
  return `mean ${mean.join(',')} std ${std.join(',')}${source ? ` (${source})` : ''}`;
}
