import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const evaluate: Verb = {
  name: 'evaluate',
  summary: 'Linear-probe or kNN accuracy of an encoder',
  usage: 'evaluate MODEL --train D --test D [--probe linear|knn]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens evaluate: not yet available');
  },
};
