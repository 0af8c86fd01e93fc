import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const compare: Verb = {
  name: 'compare',
  summary: 'Sweep strategies x ratios',
  usage: ' accuracy versus memorization:compare MODEL --data D --train D --test D --strategies ... --ratios ... --out DIR',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens compare: not yet available');
  },
};
