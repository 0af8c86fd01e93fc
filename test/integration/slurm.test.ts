// deploy/slurm on a real one-node Slurm (munge + slurmctld + slurmd on localhost): the job array
// computes one shard per task, the merge job waits for all of them (afterok), and the merged
// document equals a single run. Skipped locally without slurm-wlm/munge or root; fails in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UnitMemResult } from '../../src/shared/api.js';
import { DEMO, memlens, ROOT } from '../support/cli.js';
import { missingSlurm } from '../support/references.js';
import { startSlurm, type Slurm } from '../support/slurm.js';

const CNN = join(DEMO, 'ssl-cnn-f.onnx');
const CANDIDATES = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');
let dir: string | undefined;
let slurm: Slurm | undefined;
afterAll(async () => {
  slurm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missingSlurm())('deploy/slurm/submit.sh on a one-node Slurm', () => {
  it("3 array tasks and a dependent merge give the single run's UnitMem", async () => {
    dir = await mkdtemp(join(tmpdir(), 'memlens-slurm-'));
    slurm = await startSlurm(dir);
    const out = join(dir, 'unitmem.json');
    const args = ['unitmem', CNN, '--data', CANDIDATES, '--views', '3', '--rest', 'median'];
    const env = {
      ...slurm.env,
      MEMLENS: `${process.execPath} ${join(ROOT, 'bin', 'memlens.js')}`,
      MEMLENS_NO_CACHE: '1',
    };
    const submit = spawnSync(join(ROOT, 'deploy', 'slurm', 'submit.sh'), ['3', out, '--', ...args], {
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    expect(submit.status, submit.stderr).toBe(0);
    expect(submit.stdout.trim()).toMatch(/^\d+ \d+$/);
    const deadline = Date.now() + 240_000;
    while (slurm.busy()) {
      if (Date.now() > deadline)
        throw new Error(
          `the jobs did not finish within 240 s: ${spawnSync('squeue', { encoding: 'utf8', env }).stdout}`,
        );
      await new Promise((ok) => setTimeout(ok, 500));
    }
    const log = (name: string) =>
      existsSync(join(`${out}.parts`, name)) ? readFileSync(join(`${out}.parts`, name), 'utf8') : '(no log)';
    expect(existsSync(out), `merge log: ${log('merge.log')} shard 0 log: ${log('shard-0.log')}`).toBe(true);
    for (const i of [0, 1, 2]) expect(existsSync(join(`${out}.parts`, `part-${i}.json`))).toBe(true);

    process.env.MEMLENS_NO_CACHE = '1';
    const single = memlens([...args, '--out', join(dir, 'single.json')]);
    expect(single.code, single.stderr).toBe(0);
    const [merged, one] = [out, join(dir, 'single.json')].map(
      (p) => JSON.parse(readFileSync(p, 'utf8')) as UnitMemResult,
    );
    expect(merged.samples).toEqual(one.samples);
    merged.layers.forEach((m, i) => {
      const s = one.layers[i];
      expect(m.argmaxSample).toEqual(s.argmaxSample);
      expect(Math.max(...m.unitmem.map((v, k) => Math.abs(v - s.unitmem[k])))).toBeLessThanOrEqual(1e-6);
      expect(Math.max(...m.muRest.map((v, k) => Math.abs(v - s.muRest[k])))).toBeLessThanOrEqual(1e-6);
    });
  }, 300_000);
});
