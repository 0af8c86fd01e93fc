/** "0.5, 0.25" -> [0.5, 0.25]; a clear message names the field when a value is not a number. */
export function parseNumbers(text: string, field: string): number[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error(`${field}: enter at least one number`);
  return parts.map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`${field}: '${s}' is not a number`);
    return n;
  });
}

/** Ratios typed as percent or fraction ("10, 20" or "0.1,0.2") -> fractions in (0, 1). */
export function parseRatios(text: string): number[] {
  return parseNumbers(text, 'ratios').map((r) => {
    const f = r > 1 ? r / 100 : r;
    if (!(f > 0 && f < 1)) throw new Error(`ratios: ${r} is not a fraction between 0 and 1 (or a percent below 100)`);
    return f;
  });
}
