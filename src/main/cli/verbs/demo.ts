import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const demo: Verb = {
  name: 'demo',
  summary: 'The whole pipeline on the demo project',
  usage: 'demo [--json]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens demo: not yet available');
  },
};
