import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BOUNDS, loadBounds, saveBounds } from '../../../src/main/app/window-state.js';

const dir = mkdtempSync(join(tmpdir(), 'memlens-window-'));

describe('saved window bounds', () => {
  it('round-trips size, position and the maximized flag', async () => {
    const file = join(dir, 'w.json');
    await saveBounds(file, { x: 10, y: 20, width: 1000, height: 700, maximized: true });
    expect(loadBounds(file)).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: true });
  });

  it('falls back to the default for a missing or damaged file and clamps tiny sizes', () => {
    expect(loadBounds(join(dir, 'missing.json'))).toEqual(DEFAULT_BOUNDS);
    writeFileSync(join(dir, 'bad.json'), '{"width": "wide"');
    expect(loadBounds(join(dir, 'bad.json'))).toEqual(DEFAULT_BOUNDS);
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify({ width: 100, height: 50, x: 1.5, y: 2 }));
    expect(loadBounds(join(dir, 'tiny.json'))).toEqual({ width: 800, height: 560 });
  });
});
