import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatCountChange,
  formatFixed,
  formatPercent,
  formatSignedPercent,
} from '../../../src/shared/format.js';

describe('number formatting (CLI and app)', () => {
  it('counts carry thousands separators', () => {
    expect([formatCount(147584), formatCount(999), formatCount(1234567.6)]).toEqual(['147,584', '999', '1,234,568']);
  });

  it('a value rounding to zero carries no sign', () => {
    expect([formatFixed(-0.00001, 4), formatFixed(-0.04, 1), formatFixed(-0.05001, 1), formatFixed(0.0306, 4)]).toEqual(
      ['0.0000', '0.0', '-0.1', '0.0306'],
    );
  });

  it('percent: exactly zero is 0%, otherwise fixed decimals', () => {
    expect([formatPercent(0), formatPercent(0.25), formatPercent(0.87654, 2), formatPercent(-0.0001)]).toEqual([
      '0%',
      '25.0%',
      '87.65%',
      '0.0%',
    ]);
  });

  it('signed percent: never -0.0, and a small nonzero change keeps two significant digits', () => {
    // 3,840 more parameters on 10,000,000: +0.0384 %, which one decimal would show as 0.0.
    expect(formatSignedPercent(3840 / 10_000_000)).toBe('+0.038%');
    expect(formatSignedPercent(3840 / 6_500_000)).toBe('+0.1%');
    expect(formatSignedPercent(-1 / 3)).toBe('-33.3%');
    expect(formatSignedPercent(0.125)).toBe('+12.5%');
    expect(formatSignedPercent(0)).toBe('0%');
    expect(formatSignedPercent(-0)).toBe('0%');
    expect(formatSignedPercent(-0.00049)).toBe('-0.049%');
    expect(formatSignedPercent(0.0005)).toBe('+0.1%');
  });

  it('count change: before -> after with the signed relative change', () => {
    expect(formatCountChange(147584, 143744)).toBe('147,584 -> 143,744 (-2.6%)');
    expect(formatCountChange(410816, 410816)).toBe('410,816 -> 410,816 (0%)');
    expect(formatCountChange(10_000_000, 10_003_840, '→')).toBe('10,000,000 → 10,003,840 (+0.038%)');
    expect(formatCountChange(0, 0)).toBe('0 -> 0 (0%)');
  });
});
