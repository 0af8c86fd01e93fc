// How a fine-tuning result's accuracies were obtained, in words, wherever they are shown (CLI, the
// Fine-tune screen): the baseline and the fine-tuned encoder share one head training procedure.
import type { FinetuneResult } from './documents.js';

export function probeText(p: NonNullable<FinetuneResult['probe']>): string {
  return (
    `a linear head trained ${p.epochs} epoch${p.epochs === 1 ? '' : 's'} with ${p.optimizer === 'adamw' ? 'AdamW' : 'SGD'} ` +
    `(lr ${p.lr}, batch ${p.batch}, seed ${p.seed}); memlens evaluate's linear probe (L-BFGS to convergence) reads higher`
  );
}
