import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Independent references (PyTorch, onnx.checker, scikit-learn) come from Debian packages that a
 * fresh clone does not have. Locally a test that needs one is skipped with the reason printed;
 * in CI (`MEMLENS_REQUIRE_REFERENCES=1`, set by .ci/run) a missing reference fails instead, so a
 * green CI run always means the references ran. `MEMLENS_PYTHON` names another interpreter (a path
 * that does not exist shows what a machine without the references sees).
 */
export const PYTHON = process.env.MEMLENS_PYTHON || '/usr/bin/python3';

export type Reference = 'torch' | 'torchvision' | 'onnx' | 'sklearn' | 'numpy';

const found = new Map<Reference, boolean>();

function importable(module: Reference): boolean {
  if (!found.has(module)) {
    const ok =
      existsSync(PYTHON) &&
      spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000 }).status === 0;
    found.set(module, ok);
  }
  return found.get(module)!;
}

/**
 * The reason a test needing `modules` cannot run here, or undefined when it can. Throws in CI,
 * where every reference must be installed. Use as `test.skipIf(missing('torch'))(...)`.
 */
export function missing(...modules: Reference[]): string | undefined {
  const absent = modules.filter((m) => !importable(m));
  if (absent.length === 0) return undefined;
  const cannot = existsSync(PYTHON) ? `${PYTHON} cannot import ${absent.join(', ')}` : `${PYTHON} does not exist`;
  return skipOrFail(`${cannot} (apt-get install ${absent.map(debianPackage).join(' ')})`);
}

/** Skips locally with the reason printed; in CI (MEMLENS_REQUIRE_REFERENCES=1) fails instead. */
function skipOrFail(reason: string): string {
  if (process.env.MEMLENS_REQUIRE_REFERENCES === '1') throw new Error(`reference required in CI: ${reason}`);
  console.warn(`skipped: ${reason}`);
  return reason;
}

/** What a one-node Slurm needs (test/support/slurm.ts): the Debian daemons, and root to run them. */
export const SLURM_PROGRAMS = [
  '/usr/sbin/munged',
  '/usr/sbin/slurmctld',
  '/usr/sbin/slurmd',
  '/usr/bin/sbatch',
  '/usr/sbin/runuser',
];

/** Like `missing`, for the Slurm test: why it cannot start a cluster here, or undefined. */
export function missingSlurm(): string | undefined {
  const absent = SLURM_PROGRAMS.filter((p) => !existsSync(p));
  if (absent.length) return skipOrFail(`${absent.join(', ')} not installed (apt-get install slurm-wlm munge)`);
  if (process.getuid?.() !== 0) return skipOrFail('starting slurmctld and slurmd needs root');
  return undefined;
}

function debianPackage(m: Reference): string {
  return {
    torch: 'python3-torch',
    torchvision: 'python3-torchvision',
    onnx: 'python3-onnx',
    sklearn: 'python3-sklearn',
    numpy: 'python3-numpy',
  }[m];
}
