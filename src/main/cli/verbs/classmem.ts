import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const classmem: Verb = {
  name: 'classmem',
  summary: 'ClassMem per unit (needs labels)',
  usage: 'classmem MODEL --data D [--out F]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens classmem: not yet available');
  },
};
