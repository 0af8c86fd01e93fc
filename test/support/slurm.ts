// A one-node Slurm on localhost for tests (docs/SCALE.md "Slurm"): munged as the munge user with a
// generated key, slurmctld and slurmd as root with a generated slurm.conf, every file under one
// temp folder, on random ports so parallel runs do not meet. stop() ends exactly these daemons.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface Slurm {
  /** Environment for sbatch/squeue/scontrol: SLURM_CONF. */
  env: NodeJS.ProcessEnv;
  /** squeue: true while any job is pending or running. */
  busy(): boolean;
  stop(): void;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function idOf(name: 'uid' | 'gid', user: string): number {
  return Number(run('id', [name === 'uid' ? '-u' : '-g', user]).trim());
}

async function until(what: string, ok: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`slurm: ${what} within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function conf(dir: string, port: number): string {
  return [
    'ClusterName=memlens',
    'SlurmctldHost=localhost(127.0.0.1)',
    'SlurmUser=root',
    'SlurmdUser=root',
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(dir, 'munge', 'munge.socket')}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    // no cgroups in containers: processes tracked by parent pid, tasks not bound
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SchedulerType=sched/builtin',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'ReturnToService=2',
    'MpiDefault=none',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN',
    'PartitionName=memlens Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

/** Starts munged, slurmctld and slurmd with their files in `dir` (which must be empty). */
export async function startSlurm(dir: string): Promise<Slurm> {
  // munged refuses sockets and keys in folders others cannot traverse or may write
  chmodSync(dir, 0o755);
  const munge = join(dir, 'munge');
  const [uid, gid] = [idOf('uid', 'munge'), idOf('gid', 'munge')];
  mkdirSync(munge, { mode: 0o711 });
  chownSync(munge, uid, gid);
  const key = join(munge, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  chownSync(key, uid, gid);
  for (const d of ['state', 'spool']) mkdirSync(join(dir, d));
  const socket = join(munge, 'munge.socket');
  const mungeArgs = [
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--log-file=${join(munge, 'munged.log')}`,
    `--pid-file=${join(munge, 'munged.pid')}`,
    `--seed-file=${join(munge, 'munged.seed')}`,
  ];
  run('runuser', ['-u', 'munge', '--', 'munged', ...mungeArgs]);
  const file = join(dir, 'slurm.conf');
  writeFileSync(file, conf(dir, 20000 + Math.floor(Math.random() * 20000)));
  const env = { ...process.env, SLURM_CONF: file };
  const pidOf = (name: string) =>
    existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8').trim()) : undefined;
  const stop = () => {
    spawnSync('scontrol', ['shutdown'], { env, timeout: 30_000 });
    for (const name of ['slurmd.pid', 'slurmctld.pid']) {
      const pid = pidOf(name);
      if (pid)
        spawnSync('sh', [
          '-c',
          `for i in $(seq 50); do kill -0 ${pid} 2>/dev/null || exit 0; sleep 0.2; done; kill -9 ${pid}`,
        ]);
    }
    spawnSync('runuser', ['-u', 'munge', '--', 'munged', '-s', `--socket=${socket}`], { timeout: 30_000 });
  };
  try {
    run('slurmctld', ['-c', '-f', file], env);
    run('slurmd', ['-N', 'localhost', '-f', file], env);
    const idle = () => spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', env }).stdout?.trim() === 'idle';
    await until('the node is not idle', idle, 60);
  } catch (e) {
    stop();
    throw e;
  }
  const busy = () => run('squeue', ['-h', '-o', '%i'], env).trim() !== '';
  return { env, busy, stop };
}
