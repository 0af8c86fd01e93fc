import { describe, expect, it } from 'vitest';
import { memlens } from '../support/cli.js';

describe('memlens CLI contract', () => {
  it('--help lists every verb of the contract', () => {
    const r = memlens(['--help']);
    expect(r.code).toBe(0);
    for (const v of [
      'inspect',
      'convert',
      'unitmem',
      'classmem',
      'layermem',
      'prune',
      'evaluate',
      'compare',
      'finetune',
      'demo',
      'serve',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${v} `, 'm'));
    }
  });

  it('an unknown verb is a usage error (exit 2)', () => {
    const r = memlens(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown verb 'frobnicate'");
  });
});
