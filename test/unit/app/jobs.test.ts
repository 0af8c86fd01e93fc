import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/shared/api.js';
import { MemLensError, throwIfAborted } from '../../../src/main/engine/errors.js';
import { JobRegistry } from '../../../src/main/engine/project/jobs.js';

describe('JobRegistry', () => {
  it('fans progress out to every subscriber, keyed by the job id, until unsubscribed', async () => {
    const jobs = new JobRegistry();
    const a: Progress[] = [];
    const b: Progress[] = [];
    jobs.subscribe((p) => a.push(p));
    const unsubscribe = jobs.subscribe((p) => b.push(p));
    await jobs.run('j1', async (ctl) => {
      ctl.onProgress!(1, 4, 'views');
      unsubscribe();
      ctl.onProgress!(2, 4, 'views');
    });
    expect(a).toEqual([
      { jobId: 'j1', done: 1, total: 4, stage: 'views' },
      { jobId: 'j1', done: 2, total: 4, stage: 'views' },
    ]);
    expect(b).toEqual([{ jobId: 'j1', done: 1, total: 4, stage: 'views' }]);
  });

  it('cancel aborts only the named job, which ends with CANCELLED', async () => {
    const jobs = new JobRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = (id: string) =>
      jobs.run(id, async (ctl) => {
        await gate;
        throwIfAborted(ctl.signal);
        return id;
      });
    const one = work('one');
    const two = work('two');
    expect(jobs.active.sort()).toEqual(['one', 'two']);
    expect(jobs.cancel('one')).toBe(true);
    release();
    await expect(one).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(two).resolves.toBe('two');
    expect(jobs.active).toEqual([]);
    expect(jobs.cancel('one')).toBe(false);
  });

  it('refuses a second job with a running id and frees the id after a failure', async () => {
    const jobs = new JobRegistry();
    let release!: () => void;
    const first = jobs.run('x', () => new Promise<void>((r) => (release = r)));
    await expect(jobs.run('x', async () => 1)).rejects.toThrow('job x is already running');
    release();
    await first;
    await expect(jobs.run('x', async () => Promise.reject(new MemLensError('BAD_DATA', 'boom')))).rejects.toThrow(
      'boom',
    );
    await expect(jobs.run('x', async () => 2)).resolves.toBe(2);
  });
});
