// UnitMem's memory does not grow with the number of candidates (docs/SCALE.md "Memory"): the peak
// RSS of `memlens unitmem` (mean rest) on 20,000 samples of the demo's 28x28 data stays within 10%
// of the same run on the first 2,000 (--limit) of the same file. The file is the same so that
// only the metric differs: an IDX source holds its whole file in memory (15.7 MB here), which is
// the data source's size, not the metric's. Before streaming, the accumulator alone grew by
// 18,000 x 560 float64 (81 MB) on the demo CNN.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO, ROOT } from '../support/cli.js';

const SAMPLES = 20000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'memlens-scale-memory-'));
  // the process's peak resident set (worker threads included), printed as it exits
  writeFileSync(
    join(dir, 'peak.cjs'),
    "process.on('exit', () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n",
  );
  // an IDX of 20,000 images: the demo's training images repeated
  const train = gunzipSync(readFileSync(join(DEMO, 'data', 'train-images-idx3-ubyte.gz')));
  const body = train.subarray(16);
  const out = Buffer.alloc(16 + SAMPLES * 784);
  train.copy(out, 0, 0, 16);
  out.writeUInt32BE(SAMPLES, 4);
  for (let at = 0; at < SAMPLES * 784; at += body.length)
    body.copy(out, 16 + at, 0, Math.min(body.length, SAMPLES * 784 - at));
  writeFileSync(join(dir, 'many-images-idx3-ubyte'), out);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Peak RSS in KB of a unitmem run on `n` samples; fails past the deadline. */
function peakRss(n: number): Promise<{ kb: number; samples: number }> {
  const out = join(dir, `u${n}.json`);
  const args = [
    '--require',
    join(dir, 'peak.cjs'),
    join(ROOT, 'bin', 'memlens.js'),
    'unitmem',
    join(DEMO, 'ssl-cnn-f.onnx'),
  ];
  const child = spawn(
    process.execPath,
    [...args, '--data', join(dir, 'many-images-idx3-ubyte'), '--limit', String(n), '--augment', 'none', '--out', out],
    {
      env: { ...process.env, MEMLENS_NO_CACHE: '1' },
      timeout: 280_000,
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok, fail) =>
    child.on('exit', (code) => {
      const kb = /peak-rss-kb (\d+)/.exec(stderr);
      if (code !== 0 || !kb) return fail(new Error(`unitmem on ${n} samples: exit ${code}: ${stderr}`));
      ok({ kb: Number(kb[1]), samples: JSON.parse(readFileSync(out, 'utf8')).samples.length });
    }),
  );
}

it('UnitMem (mean rest) on 20,000 samples peaks within 10% of 2,000 samples', async () => {
  const [small, large] = await Promise.all([peakRss(2000), peakRss(SAMPLES)]);
  expect(small.samples).toBe(2000);
  expect(large.samples).toBe(20000);
  console.log(
    `peak RSS: 2,000 samples ${(small.kb / 1024).toFixed(0)} MiB, 20,000 samples ${(large.kb / 1024).toFixed(0)} MiB (x${(large.kb / small.kb).toFixed(3)})`,
  );
  expect(large.kb).toBeLessThanOrEqual(small.kb * 1.1);
}, 300_000);
