// A small SVG x-y chart (lines or scatter, optional error bars, legend) drawn from data as a string,
// so report.html stays one self-contained file that opens offline (no script, no library).

export interface ChartPoint {
  x: number;
  y: number;
  /** Error bar from lo to hi (a 95% interval). */
  lo?: number;
  hi?: number;
}

export interface Series {
  name: string;
  color: string;
  points: ChartPoint[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Connect each series' points in x order (false: scatter). */
  lines: boolean;
  /** Format of axis tick values. */
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Fixed y range (accuracy: [0, 1], shown as 0-100 %); else fitted to the data. */
  yRange?: [number, number];
}

const W = 560;
const H = 340;
const M = { left: 64, right: 150, top: 36, bottom: 48 };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Range padded by 8% (a single value gets a unit-wide range) so marks do not sit on the frame. */
function extent(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 0.5 * (Math.abs(lo) || 1);
    hi += 0.5 * (Math.abs(hi) || 1);
  }
  const pad = 0.08 * (hi - lo);
  // Non-negative data (fractions, accuracies) keeps a non-negative axis.
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad];
}

function ticks([lo, hi]: [number, number], n = 5): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

export function svgChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const fx = spec.xFormat ?? ((v: number) => v.toFixed(2));
  const fy = spec.yFormat ?? ((v: number) => v.toFixed(2));
  const xr = extent(all.map((p) => p.x));
  const yr = spec.yRange ?? extent(all.flatMap((p) => [p.lo ?? p.y, p.y, p.hi ?? p.y]));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - xr[0]) / (xr[1] - xr[0])) * pw;
  const sy = (y: number) => M.top + ph - ((y - yr[0]) / (yr[1] - yr[0])) * ph;
  const n = (v: number) => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(spec.title)}">`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeHtml(spec.title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(xr)) {
    parts.push(`<line x1="${n(sx(t))}" y1="${M.top + ph}" x2="${n(sx(t))}" y2="${M.top + ph + 5}" stroke="#999"/>`);
    parts.push(
      `<text x="${n(sx(t))}" y="${M.top + ph + 18}" text-anchor="middle" font-size="11">${escapeHtml(fx(t))}</text>`,
    );
  }
  for (const t of ticks(yr)) {
    parts.push(`<line x1="${M.left - 5}" y1="${n(sy(t))}" x2="${M.left + pw}" y2="${n(sy(t))}" stroke="#eee"/>`);
    parts.push(
      `<text x="${M.left - 8}" y="${n(sy(t) + 4)}" text-anchor="end" font-size="11">${escapeHtml(fy(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escapeHtml(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${M.top + ph / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${M.top + ph / 2})">${escapeHtml(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (spec.lines && pts.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${n(sx(p.x))},${n(sy(p.y))}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) {
      const bar = p.lo !== undefined && p.hi !== undefined;
      if (bar) {
        const [x, lo, hi] = [n(sx(p.x)), n(sy(p.lo!)), n(sy(p.hi!))];
        parts.push(
          `<path class="error-bar" d="M${x} ${lo}V${hi}M${Number(x) - 4} ${lo}h8M${Number(x) - 4} ${hi}h8" stroke="${s.color}" fill="none"/>`,
        );
      }
      const tip = `${s.name}: ${fx(p.x)}, ${fy(p.y)}${bar ? ` [${fy(p.lo!)}, ${fy(p.hi!)}]` : ''}`;
      parts.push(
        `<circle cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="4" fill="${s.color}"><title>${escapeHtml(tip)}</title></circle>`,
      );
    }
    const ly = M.top + 10 + i * 18;
    parts.push(`<rect x="${W - M.right + 12}" y="${ly - 8}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(`<text x="${W - M.right + 30}" y="${ly + 2}" font-size="12">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
