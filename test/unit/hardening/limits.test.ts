import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/main/engine/data/index.js';
import { readJson } from '../../../src/main/engine/files.js';
import { LIMITS } from '../../../src/main/engine/limits.js';
import { DEMO } from '../../support/cli.js';

const idx = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');
afterEach(() => {
  for (const { env } of Object.values(LIMITS)) delete process.env[env];
});

describe('limits (docs/SECURITY.md)', () => {
  it('a raised limit lets the input through; a lowered one refuses it, naming the variable', async () => {
    process.env.MEMLENS_MAX_IMAGE_PIXELS = '783';
    await expect(openSource(idx)).rejects.toThrow(
      `${idx} holds 28x28-pixel images, over the limit of 783 pixels (raise it with MEMLENS_MAX_IMAGE_PIXELS)`,
    );
    process.env.MEMLENS_MAX_IMAGE_PIXELS = '784';
    expect((await openSource(idx, { limit: 3 })).count).toBe(3);
  });

  it('a plain (not gzipped) file over the byte limit is refused before it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-limits-'));
    const json = join(dir, 'p.memlens.json');
    writeFileSync(json, JSON.stringify({ pad: 'x'.repeat(2000) }));
    process.env.MEMLENS_MAX_FILE_BYTES = '1000';
    await expect(readJson(json, 'project file')).rejects.toThrow(
      `project file ${json} has ${readFileSync(json).length} bytes, over the limit of 1000 bytes (raise it with MEMLENS_MAX_FILE_BYTES)`,
    );
  });

  it.each(['0', '-5', '1.5', 'lots'])('refuses %s as a limit value in one line', async (value) => {
    process.env.MEMLENS_MAX_IMAGE_PIXELS = value;
    await expect(openSource(idx)).rejects.toThrow(
      `MEMLENS_MAX_IMAGE_PIXELS must be a positive integer, got '${value}'`,
    );
  });
});
