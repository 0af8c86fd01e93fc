// How a fine-tuning result's accuracies were obtained, in words, wherever they are shown (CLI, the
// Fine-tune screen): the baseline and the fine-tuned encoder share one head training procedure.
import { signedWithInterval } from './compare-format.js';
import type { FinetuneResult } from './documents.js';
import { formatFixed } from './format.js';

export function probeText(p: NonNullable<FinetuneResult['probe']>): string {
  return (
    `a linear head trained ${p.epochs} epoch${p.epochs === 1 ? '' : 's'} with ${p.optimizer === 'adamw' ? 'AdamW' : 'SGD'} ` +
    `(lr ${p.lr}, batch ${p.batch}, seed ${p.seed}); memlens evaluate's linear probe (L-BFGS to convergence) reads higher`
  );
}

/** "memorization (candidates): UnitMem 0.5243 -> 0.5101; SSLMem gap +0.0429 [...] -> +0.0311 [...]". */
export function memorizationLine(m: NonNullable<FinetuneResult['memorization']>): string {
  const ssl =
    m.before.sslmem && m.after.sslmem
      ? `; SSLMem gap ${signedWithInterval(m.before.sslmem.gap, m.before.sslmem.ci95)} -> ${signedWithInterval(m.after.sslmem.gap, m.after.sslmem.ci95)}`
      : '; no SSLMem gap (needs a reference and a control set)';
  return `memorization on ${m.candidates}: mean UnitMem ${formatFixed(m.before.unitmem.mean, 4)} -> ${formatFixed(m.after.unitmem.mean, 4)}${ssl}`;
}
