// Execution providers and session options shared by every onnxruntime session MemLens opens
// (inference workers in session.ts, training sessions in finetune/runtime.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

export interface RuntimeOptions {
  /** Intra-op threads; default: MEMLENS_THREADS, else every core. */
  threads?: number;
  /** Force the CPU provider (benchmarks that compare against CPU-only references). */
  cpuOnly?: boolean;
}

export type Provider = 'cuda' | 'cpu';

export const ortModulePath = (): string => createRequire(import.meta.url).resolve('onnxruntime-node');

/**
 * onnxruntime-node lists 'cuda' even where its provider library was not installed (an optional
 * download), and a failed load prints a native error; so look for the library first.
 */
function cudaInstalled(): boolean {
  try {
    const bin = join(dirname(ortModulePath()), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** Providers to try in order: CUDA first where its library is installed (a start failure falls to CPU). */
export function providerOrder(opts: RuntimeOptions): Provider[] {
  return !opts.cpuOnly && cudaInstalled() ? ['cuda', 'cpu'] : ['cpu'];
}

export function sessionThreads(opts: RuntimeOptions): number {
  return opts.threads ?? (Number(process.env.MEMLENS_THREADS) || availableParallelism());
}

/**
 * Options of one session on `provider` (plain data: the inference workers receive them as a message).
 * `spinning`: idle intra-op threads spin between ops. Off for the inference workers, which run
 * side by side and whose spinning threads took cores from each other; on for a training session,
 * the only one running, whose graph has hundreds of short ops (3-5% more images/s on the demo CNN).
 */
export function sessionOptions(threads: number, provider: Provider, spinning = false) {
  return {
    graphOptimizationLevel: 'all' as const,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
  };
}
