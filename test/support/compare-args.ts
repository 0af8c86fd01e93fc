// `memlens compare` on the demo data, kept small for the integration tests: the first 100 images of
// each set, 2 views, one ratio (0.2), and the demo's normalization passed explicitly (the models are
// copies in a temp folder, away from the project file that holds it).
import { demoData } from './finetune-run.js';

export interface DemoCompare {
  model: string;
  reference: string;
  out: string;
  strategies: string;
  seeds: string;
  /** The control set's options; [] to leave it out. */
  control?: string[];
  /** Options added before --out (e.g. --finetuned F). */
  extra?: string[];
}

export function demoCompareArgs(c: DemoCompare): string[] {
  return [
    'compare',
    c.model,
    '--reference',
    c.reference,
    ...(c.control ?? ['--control', demoData('control')]),
    '--data',
    demoData('candidates'),
    '--train',
    demoData('train'),
    '--test',
    demoData('test'),
    '--strategies',
    c.strategies,
    '--ratios',
    '0.2',
    '--seeds',
    c.seeds,
    '--views',
    '2',
    '--limit',
    '100',
    '--mean',
    '0.286',
    '--std',
    '0.353',
    ...(c.extra ?? []),
    '--out',
    c.out,
  ];
}
