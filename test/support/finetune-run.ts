// A small `memlens finetune` run on the demo data for the tests that compare fine-tuned encoders:
// the last two layers, one epoch, the first 100 images of each set; the export lands at `out`.
import { join } from 'node:path';
import { DEMO, memlens, type CliRun } from './cli.js';

export const demoData = (name: string) => join(DEMO, 'data', `${name}-images-idx3-ubyte.gz`);

/** `settings`: extra data options (normalization, when the model has no project beside it). */
export function smallFinetune(model: string, out: string, settings: string[] = []): CliRun {
  return memlens([
    'finetune',
    model,
    '--train',
    demoData('train'),
    '--test',
    demoData('test'),
    '--layers',
    'last:2',
    '--epochs',
    '1',
    '--limit',
    '100',
    ...settings,
    '--out',
    out,
  ]);
}
